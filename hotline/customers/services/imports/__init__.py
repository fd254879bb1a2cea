"""Customer import (CUS-8): read a workbook, map its columns, preview, run.

The modules, in the order an import goes through them:

- ``reading``: the file as a Table (.xlsx/.xls through python-calamine,
  .csv in UTF-8 or GBK; the first row holds the headers).
- ``mapping``: the targets a column may fill, the suggested or remembered
  mapping, and its checks (required custom fields, field edit rules).
- ``jobs``: upload, preview, start and resume (permissions checked once).
- ``rows``: one row parsed into a customer Draft or rejected with its
  reason; rows sharing a phone number grouped into one draft.
- ``writing``: a chunk of drafts written with prepared bulk SQL in one
  transaction with the job's checkpoint, merged into existing customers by
  phone number; the workbook of rejected rows.
- ``run``: the background run from the checkpoint on (safe to rerun after
  a crash).

Duplicates are found by normalised phone number (E.164): rows of the file
sharing a number become one customer (later rows fill blanks), and a row
whose number belongs to an existing, not merged customer merges into it
(only additions). Matching is global, not limited to the importer's data
scope, because a scoped match would create a second customer with the same
number; a match outside the scope is counted in ``outside_scope_count`` so
the importer and their lead see it.

The names below are those the views, the API, the task, the tests and the
benchmark use.
"""

from hotline.customers.services.imports.jobs import (
    import_preview,
    import_resume,
    import_start,
    import_upload,
)
from hotline.customers.services.imports.mapping import import_mapping_suggest, import_targets
from hotline.customers.services.imports.reading import Table, cell_text, import_file_read
from hotline.customers.services.imports.rows import Draft, RowParser, RowRejected
from hotline.customers.services.imports.run import CHUNK_ROWS, customer_import_run

__all__ = [
    "CHUNK_ROWS",
    "Draft",
    "RowParser",
    "RowRejected",
    "Table",
    "cell_text",
    "customer_import_run",
    "import_file_read",
    "import_mapping_suggest",
    "import_preview",
    "import_resume",
    "import_start",
    "import_targets",
    "import_upload",
]
