"""/api/v1/exports/: transactions as CSV, PDF statements; thin over insights.exports."""

from django.http import HttpResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.response import Response

from insights import exports
from insights.api.export_serializers import (
    ExportSerializer,
    StatementRequestSerializer,
    csv_filter_data,
)
from insights.models import Export
from smartbank.schema import ErrorDetailSerializer
from transactions import selectors as transaction_selectors
from transactions.api.filters import TransactionFilter


class FileContentNegotiation(DefaultContentNegotiation):
    """Renders in JSON whatever the client accepts, for views whose success is a file.

    A client asking for text/csv or application/pdf would otherwise get a 406 before the
    view runs; the file is returned as a plain HttpResponse, and errors stay JSON. The
    request body is parsed by its content type, as everywhere.
    """

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


_CSV_DESCRIPTION = (
    "The transactions GET /api/v1/transactions/ would list, as a CSV file (UTF-8 with a BOM, "
    "so Excel reads it), streamed as it is read. The body (JSON or a form) takes the list's "
    "filters: {filters}. A malformed filter is a 400 naming it. Amounts are plain numbers "
    "with two decimals; a text cell that begins with = + - @, a tab or a carriage return gets "
    "a leading apostrophe, so no spreadsheet runs it as a formula. Nothing is stored."
).format(filters=", ".join(TransactionFilter.base_filters))


@extend_schema_view(
    list=extend_schema(summary="Your statements, newest first"),
    retrieve=extend_schema(summary="A statement's status and figures"),
)
class ExportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ExportSerializer
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation, no user
            return Export.objects.none()
        return exports.exports_for_user(user=self.request.user)

    @extend_schema(
        summary="Export transactions as CSV",
        description=_CSV_DESCRIPTION,
        request=OpenApiTypes.OBJECT,
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY, description="The CSV file.")
        },
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="csv",
        pagination_class=None,
        content_negotiation_class=FileContentNegotiation,
    )
    def csv(self, request):
        filterset = TransactionFilter(
            data=csv_filter_data(request.data),
            queryset=transaction_selectors.transaction_list(user=request.user),
            request=request,
        )
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        response = StreamingHttpResponse(
            exports.transactions_csv(filterset.qs), content_type="text/csv; charset=utf-8"
        )
        filename = exports.transactions_csv_filename(user=request.user)
        response["Content-Disposition"] = content_disposition_header(True, filename)
        return response

    @extend_schema(
        summary="Ask for a PDF statement",
        description=(
            "A statement of one of your accounts for a period: the bank's header, opening "
            "balance, every transaction of the period (by date) with the running balance, "
            "totals in and out, and the closing balance. It is made in the background: the "
            "answer is 202 with the statement pending; follow links.self until status is "
            "done, then fetch links.download. The period may not end in the future and covers "
            "at most EXPORT_PDF_MAX_DAYS days and EXPORT_PDF_MAX_ROWS transactions (366 and "
            "3,000 by default); at most EXPORT_PDF_MAX_UNFINISHED statements (3) may be "
            "waiting at once. A 400 says which limit a request passes."
        ),
        request=StatementRequestSerializer,
        responses={202: ExportSerializer},
    )
    @action(detail=False, methods=["post"], url_path="pdf", pagination_class=None)
    def pdf(self, request):
        serializer = StatementRequestSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        export = exports.statement_export_create(user=request.user, **serializer.validated_data)
        output = ExportSerializer(export, context=self.get_serializer_context())
        return Response(output.data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="Download a statement",
        description="The PDF, once the statement is done; before that a 409 saying where it is.",
        responses={
            (200, "application/pdf"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The statement."
            ),
            409: OpenApiResponse(
                ErrorDetailSerializer, description="Not made yet, or it could not be made."
            ),
        },
    )
    @action(detail=True, methods=["get"], content_negotiation_class=FileContentNegotiation)
    def download(self, request, pk=None):
        export = self.get_object()
        if export.status != Export.Status.DONE:
            return Response(
                {"detail": _not_ready_detail(export), "code": "export_not_ready"},
                status=status.HTTP_409_CONFLICT,
            )
        response = HttpResponse(exports.export_pdf(export=export), content_type="application/pdf")
        response["Content-Disposition"] = content_disposition_header(True, export.filename)
        return response


def _not_ready_detail(export: Export) -> str:
    if export.status == Export.Status.FAILED:
        return f"The statement could not be made: {export.error}"
    return f"The statement is not ready yet (status: {export.status}); try again shortly."
