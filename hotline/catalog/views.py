"""Catalogue pages: products with search, bundles, categories and member
price lists per level (INV-1, MEM-2)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from hotline.catalog import selectors, services
from hotline.catalog.forms import (
    BundleForm,
    CategoryForm,
    PriceListForm,
    PriceListItemForm,
    ProductForm,
)
from hotline.catalog.models import PriceListItem
from hotline.core.exceptions import DomainError
from hotline.web.views.common import (
    delete_action,
    form_page,
    paginate,
    render_list,
    require_view,
    show_domain_error,
)

# --- products ---------------------------------------------------------------


@never_cache
@login_required
def product_list(request):
    require_view(request.user, "catalog.view_product")
    q = request.GET.get("q", "")
    products = selectors.product_search(selectors.products_visible(request.user), q)
    page = paginate(request, products)
    return render_list(
        request,
        "catalog/products/list.html",
        "catalog/products/_results.html",
        {"page": page, "q": q},
    )


@never_cache
@login_required
def product_detail(request, pk: int):
    from hotline.inventory.selectors import stock_levels

    product = get_object_or_404(selectors.products_visible(request.user), pk=pk)
    levels = []
    if request.user.has_perm("inventory.view_stocklevel"):
        levels = stock_levels(actor=request.user).filter(product=product)
    prices = PriceListItem.objects.filter(product=product).select_related("price_list__level")
    return render(
        request,
        "catalog/products/detail.html",
        {"product": product, "levels": levels, "member_prices": prices},
    )


def _product_form(request, product=None):
    return form_page(
        request,
        ProductForm(request.POST or None, instance=product),
        save=lambda form: services.product_save(
            actor=request.user, product=product, **form.service_kwargs()
        ),
        saved_message=_("Product “%(name)s” was saved."),
        success_url=lambda saved: saved_url("catalog:product", saved),
        template="catalog/products/form.html",
        instance=product,
    )


def saved_url(name, obj):
    return reverse(name, args=[obj.pk])


@never_cache
@login_required
def product_create(request):
    require_view(request.user, "catalog.add_product")
    return _product_form(request)


@never_cache
@login_required
def product_edit(request, pk: int):
    require_view(request.user, "catalog.change_product")
    return _product_form(
        request, get_object_or_404(selectors.products_visible(request.user), pk=pk)
    )


# --- bundles ----------------------------------------------------------------


@never_cache
@login_required
def bundle_list(request):
    require_view(request.user, "catalog.view_bundle")
    q = request.GET.get("q", "")
    bundles = selectors.bundle_search(selectors.bundles_visible(request.user), q)
    return render(request, "catalog/bundles/list.html", {"bundles": bundles, "q": q})


def _bundle_form(request, bundle=None):
    return form_page(
        request,
        BundleForm(request.POST or None, instance=bundle),
        save=lambda form: services.bundle_save(
            actor=request.user, bundle=bundle, **form.service_kwargs()
        ),
        saved_message=_("Bundle “%(name)s” was saved."),
        success_url="catalog:bundles",
        template="catalog/bundles/form.html",
        instance=bundle,
    )


@never_cache
@login_required
def bundle_create(request):
    require_view(request.user, "catalog.add_bundle")
    return _bundle_form(request)


@never_cache
@login_required
def bundle_edit(request, pk: int):
    require_view(request.user, "catalog.change_bundle")
    return _bundle_form(request, get_object_or_404(selectors.bundles_visible(request.user), pk=pk))


# --- categories -------------------------------------------------------------


@never_cache
@login_required
def category_list(request):
    require_view(request.user, "catalog.view_category")
    form = CategoryForm(request.POST or None)
    if request.method == "POST":
        require_view(request.user, "catalog.add_category")
        if form.is_valid():
            try:
                services.category_save(actor=request.user, **form.service_kwargs())
            except DomainError as exc:
                show_domain_error(form, exc)
            else:
                return redirect("catalog:categories")
    categories = selectors.categories_visible(request.user)
    return render(request, "catalog/categories/list.html", {"form": form, "categories": categories})


# --- price lists ------------------------------------------------------------


@never_cache
@login_required
def price_list_list(request):
    require_view(request.user, "catalog.view_pricelist")
    from hotline.customers.models import MemberLevel

    lists = {pl.level_id: pl for pl in selectors.price_lists_visible(request.user)}
    levels = [
        {"level": level, "price_list": lists.get(level.pk)} for level in MemberLevel.objects.all()
    ]
    return render(request, "catalog/pricelists/list.html", {"levels": levels})


def _price_list_form(request, price_list=None):
    return form_page(
        request,
        PriceListForm(request.POST or None, instance=price_list),
        save=lambda form: services.price_list_save(
            actor=request.user, price_list=price_list, **form.service_kwargs()
        ),
        saved_message=_("Price list “%(name)s” was saved."),
        success_url=lambda saved: saved_url("catalog:price_list", saved),
        template="catalog/pricelists/form.html",
        instance=price_list,
    )


@never_cache
@login_required
def price_list_create(request):
    require_view(request.user, "catalog.add_pricelist")
    return _price_list_form(request)


@never_cache
@login_required
def price_list_edit(request, pk: int):
    require_view(request.user, "catalog.change_pricelist")
    price_list = get_object_or_404(selectors.price_lists_visible(request.user), pk=pk)
    return _price_list_form(request, price_list)


@never_cache
@login_required
def price_list_detail(request, pk: int):
    price_list = get_object_or_404(selectors.price_lists_visible(request.user), pk=pk)
    form = PriceListItemForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            item = form.cleaned_data["code"]
            try:
                services.price_list_item_set(
                    actor=request.user,
                    price_list=price_list,
                    product=item if item.kind == "product" else None,
                    bundle=item if item.kind == "bundle" else None,
                    price=form.cleaned_data["price"],
                )
            except DomainError as exc:
                show_domain_error(form, exc)
            else:
                return redirect("catalog:price_list", pk=pk)
    items = price_list.items.select_related("product", "bundle").order_by(
        "product__sku", "bundle__code"
    )
    return render(
        request,
        "catalog/pricelists/detail.html",
        {"price_list": price_list, "items": items, "form": form},
    )


@require_POST
@login_required
def price_list_item_remove(request, pk: int, item_pk: int):
    price_list = get_object_or_404(selectors.price_lists_visible(request.user), pk=pk)
    item = get_object_or_404(price_list.items, pk=item_pk)
    return delete_action(
        request,
        item,
        delete=lambda: services.price_list_item_remove(actor=request.user, item=item),
        deleted_message=_("The member price %(name)s was removed."),
        success_url=saved_url("catalog:price_list", price_list),
    )


urlpatterns = [
    path("", product_list, name="products"),
    path("products/new/", product_create, name="product_create"),
    path("products/<int:pk>/", product_detail, name="product"),
    path("products/<int:pk>/edit/", product_edit, name="product_edit"),
    path("bundles/", bundle_list, name="bundles"),
    path("bundles/new/", bundle_create, name="bundle_create"),
    path("bundles/<int:pk>/edit/", bundle_edit, name="bundle_edit"),
    path("categories/", category_list, name="categories"),
    path("price-lists/", price_list_list, name="price_lists"),
    path("price-lists/new/", price_list_create, name="price_list_create"),
    path("price-lists/<int:pk>/", price_list_detail, name="price_list"),
    path("price-lists/<int:pk>/edit/", price_list_edit, name="price_list_edit"),
    path(
        "price-lists/<int:pk>/items/<int:item_pk>/remove/",
        price_list_item_remove,
        name="price_list_item_remove",
    ),
]
