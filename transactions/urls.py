"""Web pages; included by smartbank.urls."""

from django.urls import path

from transactions import (
    category_web_views,
    import_profile_web_views,
    import_views,
    rule_web_views,
    views,
)

app_name = "transactions-web"
urlpatterns: list = [
    path("", views.TransactionListView.as_view(), name="list"),
    path("new/", views.TransactionCreateView.as_view(), name="create"),
    path("transfer/", views.TransferCreateView.as_view(), name="transfer"),
    path("bulk-category/", views.TransactionBulkCategoryView.as_view(), name="bulk-category"),
    path("<int:pk>/edit/", views.TransactionUpdateView.as_view(), name="update"),
    path("<int:pk>/delete/", views.TransactionDeleteView.as_view(), name="delete"),
    path("<int:pk>/category/", views.TransactionCategoryView.as_view(), name="category"),
    path("import/", import_views.ImportStartView.as_view(), name="import"),
    path("import/review/", import_views.ImportReviewView.as_view(), name="import-review"),
    path("import/<int:pk>/", import_views.ImportBatchView.as_view(), name="import-batch"),
    path("import/<int:pk>/undo/", import_views.ImportUndoView.as_view(), name="import-undo"),
    path(
        "import/<int:pk>/reconcile/",
        import_views.ImportReconcileView.as_view(),
        name="import-reconcile",
    ),
    path(
        "import/<int:pk>/link-transfer/",
        import_views.ImportLinkTransferView.as_view(),
        name="import-link-transfer",
    ),
    path("rules/", rule_web_views.RuleListView.as_view(), name="rules"),
    path("rules/new/", rule_web_views.RuleFormView.as_view(), name="rule-create"),
    path("rules/<int:pk>/", rule_web_views.RuleFormView.as_view(), name="rule-edit"),
    path("rules/<int:pk>/preview/", rule_web_views.RulePreviewView.as_view(), name="rule-preview"),
    path("rules/<int:pk>/apply/", rule_web_views.RuleApplyView.as_view(), name="rule-apply"),
    path("rules/<int:pk>/delete/", rule_web_views.RuleDeleteView.as_view(), name="rule-delete"),
    # Categories and import profiles (the API's /categories/ and /import-profiles/ as pages).
    path("categories/", category_web_views.CategoryListView.as_view(), name="categories"),
    path(
        "categories/new/", category_web_views.CategoryCreateView.as_view(), name="category-create"
    ),
    path(
        "categories/<int:pk>/edit/",
        category_web_views.CategoryEditView.as_view(),
        name="category-edit",
    ),
    path(
        "categories/<int:pk>/delete/",
        category_web_views.CategoryDeleteView.as_view(),
        name="category-delete",
    ),
    path(
        "import/profiles/",
        import_profile_web_views.ImportProfileListView.as_view(),
        name="import-profiles",
    ),
    path(
        "import/profiles/<int:pk>/edit/",
        import_profile_web_views.ImportProfileEditView.as_view(),
        name="import-profile-edit",
    ),
    path(
        "import/profiles/<int:pk>/delete/",
        import_profile_web_views.ImportProfileDeleteView.as_view(),
        name="import-profile-delete",
    ),
]
