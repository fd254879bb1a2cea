from datetime import datetime

from ninja import Schema
from pydantic import ConfigDict, Field


class Strict(Schema):
    model_config = ConfigDict(extra="forbid")


class RoleOut(Schema):
    id: int
    code: str
    name: str
    name_en: str
    data_scope: str


class UserOut(Schema):
    id: int
    username: str
    full_name: str
    email: str
    department_id: int | None
    team_id: int | None
    language: str
    extension: str
    is_active: bool
    roles: list[str]

    @staticmethod
    def resolve_roles(obj):
        return [role.code for role in obj.roles.all()]


class MeOut(UserOut):
    permissions: dict[str, str]


class UserIn(Strict):
    username: str = Field(min_length=1, max_length=150)
    password: str
    full_name: str = ""
    email: str = ""
    department_id: int | None = None
    team_id: int | None = None
    language: str = ""
    extension: str = ""
    roles: list[str] = []


class UserPatch(Strict):
    full_name: str | None = None
    email: str | None = None
    department_id: int | None = None
    team_id: int | None = None
    language: str | None = None
    extension: str | None = None
    is_active: bool | None = None
    roles: list[str] | None = None


class DepartmentOut(Schema):
    id: int
    name: str
    parent_id: int | None
    head_id: int | None
    path: str


class DepartmentIn(Strict):
    name: str = Field(min_length=1, max_length=100)
    parent_id: int | None = None
    head_id: int | None = None


class TeamOut(Schema):
    id: int
    name: str
    department_id: int
    lead_id: int | None


class TeamIn(Strict):
    name: str = Field(min_length=1, max_length=100)
    department_id: int
    lead_id: int | None = None


class TokenIn(Strict):
    name: str = Field(min_length=1, max_length=100)
    expires_at: datetime | None = None


class TokenOut(Schema):
    id: int
    name: str
    key_id: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreated(TokenOut):
    key: str = Field(description="Shown once; send as `Authorization: Bearer <key>`.")
