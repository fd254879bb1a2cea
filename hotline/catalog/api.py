"""/api/catalog/: product and bundle search for order entry (with the price
for a customer and the stock available), products, and price lookup (MEM-2)."""

from decimal import Decimal

from django.http import Http404
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status
from pydantic import ConfigDict

from hotline.catalog import selectors, services
from hotline.catalog.models import Category
from hotline.core.permissions import require_perm
from hotline.customers.models import Customer, MemberLevel
from hotline.customers.selectors.customers import customer_get

router = Router(tags=["catalog"])


class Strict(Schema):
    model_config = ConfigDict(extra="forbid")


class HitOut(Schema):
    kind: str
    id: int
    sku: str
    name: str
    unit: str
    list_price: Decimal
    price: Decimal
    price_source: str
    available: int


class ProductOut(Schema):
    id: int
    sku: str
    name: str
    name_initials: str
    category_id: int | None
    specs: str
    unit: str
    price: Decimal
    cost: Decimal
    active: bool
    image_url: str
    description: str
    custom_fields: dict


class ProductIn(Strict):
    sku: str
    name: str
    price: Decimal
    cost: Decimal = Decimal(0)
    category_id: int | None = None
    specs: str = ""
    unit: str = "件"
    active: bool = True
    image_url: str = ""
    description: str = ""
    custom_fields: dict | None = None


class ProductPatch(Strict):
    sku: str | None = None
    name: str | None = None
    price: Decimal | None = None
    cost: Decimal | None = None
    category_id: int | None = None
    specs: str | None = None
    unit: str | None = None
    active: bool | None = None
    image_url: str | None = None
    description: str | None = None
    custom_fields: dict | None = None


class BundleLineOut(Schema):
    product_id: int
    sku: str
    quantity: int


class BundleOut(Schema):
    id: int
    code: str
    name: str
    price: Decimal
    active: bool
    items: list[BundleLineOut]


class PriceOut(Schema):
    kind: str
    id: int
    list_price: Decimal
    price: Decimal
    source: str


def _customer(request, customer_id: int | None) -> Customer | None:
    if customer_id is None:
        return None
    try:
        return customer_get(actor=request.user, pk=customer_id)
    except Customer.DoesNotExist:
        raise Http404 from None


def _product_fields(request, data: dict) -> dict:
    if "category_id" in data:
        category_id = data.pop("category_id")
        data["category"] = (
            get_object_or_404(Category.objects.restrict(request.user, "view"), pk=category_id)
            if category_id
            else None
        )
    return data


@router.get("/search", response=list[HitOut], summary="Search products and bundles for an order")
def search(request, q: str = "", customer_id: int | None = None, warehouse_id: int | None = None):
    """By name, SKU/code or pinyin initials (保健茶 → ``bjc``); priced for the customer."""
    from hotline.inventory.models import Warehouse

    warehouse = None
    if warehouse_id is not None:
        warehouse = get_object_or_404(
            Warehouse.objects.restrict(request.user, "view"), pk=warehouse_id
        )
    return selectors.catalog_search(
        actor=request.user, q=q, customer=_customer(request, customer_id), warehouse=warehouse
    )


@router.get("/products", response=list[ProductOut])
def product_list(request, q: str = "", active: bool | None = None):
    require_perm(request.user, "catalog.view_product")
    products = selectors.product_search(selectors.products_visible(request.user), q)
    if active is not None:
        products = products.filter(active=active)
    return list(products[:500])


@router.get("/products/{int:product_id}", response=ProductOut)
def product_read(request, product_id: int):
    return get_object_or_404(selectors.products_visible(request.user), pk=product_id)


@router.post("/products", response={201: ProductOut})
def product_create(request, payload: ProductIn):
    fields = _product_fields(request, payload.dict())
    return Status(201, services.product_save(actor=request.user, **fields))


@router.patch("/products/{int:product_id}", response=ProductOut)
def product_update(request, product_id: int, payload: ProductPatch):
    product = get_object_or_404(selectors.products_visible(request.user), pk=product_id)
    fields = _product_fields(request, payload.dict(exclude_unset=True))
    return services.product_save(actor=request.user, product=product, **fields)


def _bundle_out(bundle) -> dict:
    return {
        "id": bundle.pk,
        "code": bundle.code,
        "name": bundle.name,
        "price": bundle.price,
        "active": bundle.active,
        "items": [
            {"product_id": line.product_id, "sku": line.product.sku, "quantity": line.quantity}
            for line in bundle.items.all()
        ],
    }


@router.get("/bundles", response=list[BundleOut])
def bundle_list(request, q: str = ""):
    require_perm(request.user, "catalog.view_bundle")
    bundles = selectors.bundle_search(selectors.bundles_visible(request.user), q)
    return [_bundle_out(bundle) for bundle in bundles[:500]]


@router.get("/price", response=PriceOut, summary="The price of a product or bundle for a customer")
def price(
    request,
    product_id: int | None = None,
    bundle_id: int | None = None,
    customer_id: int | None = None,
    level_id: int | None = None,
):
    if product_id is not None:
        item = get_object_or_404(selectors.products_visible(request.user), pk=product_id)
    elif bundle_id is not None:
        item = get_object_or_404(selectors.bundles_visible(request.user), pk=bundle_id)
    else:
        raise Http404
    level = None
    if level_id is not None:
        level = get_object_or_404(MemberLevel.objects.restrict(request.user, "view"), pk=level_id)
    customer = _customer(request, customer_id)
    amount, source = selectors.priced([item], customer=customer, level=level)[(item.kind, item.pk)]
    return {
        "kind": item.kind,
        "id": item.pk,
        "list_price": item.price,
        "price": amount,
        "source": source,
    }
