"""/api/v1/transactions/import/ and /api/v1/imports/: statement import, thin over transactions.imports."""

from django.db import transaction as db_transaction
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.serializers import BankAccountSerializer
from transactions import imports
from transactions.api.import_serializers import (
    ImportBatchSerializer,
    ImportRequestSerializer,
    LinkTransferSerializer,
    ReconcileSerializer,
)
from transactions.api.serializers import TransferSerializer
from transactions.importing.base import StatementError
from transactions.models import ImportBatch
from transactions.tasks import import_run_task


class StatementImportView(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        summary="Import a statement file",
        description=(
            "Multipart upload. With dry_run the file is parsed and shown (detected format, CSV "
            "mapping, the accounts in the file, the first rows) and nothing is written: 200. "
            "Otherwise the file is kept with a new import batch, the import runs in the "
            "background and the answer is 202 with the batch; follow it at /api/v1/imports/{id}/. "
            "A file that cannot be read as a whole is a 400 and nothing is written."
        ),
        request={"multipart/form-data": ImportRequestSerializer},
        responses={
            200: OpenApiResponse(OpenApiTypes.OBJECT, description="Dry run: what the file holds."),
            202: ImportBatchSerializer,
        },
    )
    def post(self, request):
        serializer = ImportRequestSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        upload = data["file"]
        # Refused by its declared size before it is read into memory.
        imports.check_upload_size(upload.size)
        content = upload.read()
        mapping = dict(data.get("mapping") or {})
        if data.get("day_first") is not None:
            mapping["day_first"] = data["day_first"]
        common = {
            "user": request.user,
            "account": data["account"],
            "filename": upload.name,
            "data": content,
            "format": data.get("format", ""),
            "mapping": mapping,
        }
        if data["dry_run"]:
            try:
                preview = imports.import_preview(account_map=data.get("account_map"), **common)
            except StatementError as exc:
                return Response({"file": [str(exc)]}, status=status.HTTP_400_BAD_REQUEST)
            return Response(preview)
        options = {
            "account_map": data.get("account_map") or {},
            "save_profile": data["save_profile"],
        }
        batch = imports.import_create(options=options, **common)
        db_transaction.on_commit(lambda: import_run_task.delay(batch.pk))
        return Response(ImportBatchSerializer(batch).data, status=status.HTTP_202_ACCEPTED)


class ImportBatchViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The customer's imports: status, progress, counts and every skipped or rejected row."""

    serializer_class = ImportBatchSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ImportBatch.objects.none()
        return ImportBatch.objects.for_user(self.request.user).defer("file_data")

    @extend_schema(summary="Undo an import", request=None, responses={200: ImportBatchSerializer})
    @action(detail=True, methods=["post"])
    def undo(self, request, pk=None):
        batch = imports.import_undo(batch=self.get_object(), actor=request.user)
        return Response(ImportBatchSerializer(batch).data)

    @extend_schema(
        summary="Make an account agree with the statement",
        description="Moves the account's opening balance so its balance on the statement's date "
        "equals the statement's closing balance. Audited.",
        request=ReconcileSerializer,
        responses={200: BankAccountSerializer},
    )
    @action(detail=True, methods=["post"])
    def reconcile(self, request, pk=None):
        batch = self.get_object()
        serializer = ReconcileSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        account = imports.import_reconcile(
            batch=batch, account=serializer.validated_data["account"], actor=request.user
        )
        return Response(BankAccountSerializer(account).data)

    @extend_schema(
        summary="Accept an offered transfer",
        description="Links two imported rows (one of transfer_candidates) as one transfer. "
        "Balances do not move.",
        request=LinkTransferSerializer,
        responses={200: TransferSerializer},
    )
    @action(detail=True, methods=["post"], url_path="link-transfer")
    def link_transfer(self, request, pk=None):
        batch = self.get_object()
        serializer = LinkTransferSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = imports.import_accept_transfer(
            batch=batch,
            outgoing_id=serializer.validated_data["outgoing"],
            incoming_id=serializer.validated_data["incoming"],
        )
        return Response(
            TransferSerializer({"outgoing": result.outgoing, "incoming": result.incoming}).data
        )
