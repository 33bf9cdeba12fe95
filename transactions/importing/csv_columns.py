"""What a CSV column is, told from its header in the languages banks export in."""

import re
import unicodedata

# Roles a header can name. Dates come in three kinds: the transaction or booking date (the
# row's date), the posting/completed date, and the value date; the best present kind is the
# row's date and the next one its posted date.
DATE_MAIN = "date"
DATE_POSTED = "date_posted"
DATE_VALUE = "date_value"

_EXACT: dict[str, set[str]] = {
    DATE_VALUE: {
        "value date", "valuta", "valutadatum", "valuta datum", "wertstellung",
        "wertstellungsdatum", "wert", "date de valeur", "date valeur", "fecha valor",
        "fecha de valor", "data valuta", "valuedate", "rentedatum",
    },
    DATE_POSTED: {
        "posting date", "posted date", "post date", "date posted", "completed date",
        "completed", "settlement date", "cleared date",
    },
    DATE_MAIN: {
        "date", "datum", "buchungstag", "buchungsdatum", "buchung", "booking date",
        "transaction date", "trans date", "trans. date", "txn date", "started date",
        "fecha", "fecha operacion", "fecha de operacion", "date operation",
        "date de l operation", "date de transaction", "data", "data operazione",
        "transactiedatum", "datum transakcji", "date of transaction", "operation date",
        "buchungs datum",
    },
    "indicator": {
        "d/c", "dc", "c/d", "cd", "dr/cr", "cr/dr", "debit/credit", "credit/debit",
        "soll/haben", "s/h", "sign", "debit credit indicator", "credit debit indicator",
        "cdtdbtind", "af bij", "af/bij",
    },
    "debit": {
        "debit", "debits", "soll", "debit amount", "withdrawal", "withdrawals", "money out",
        "paid out", "out", "amount out", "outflow", "cargo", "cargos", "ausgang", "ausgaben",
        "belastung", "charge", "charges", "spent", "debet", "addebiti", "uscite",
    },
    "credit": {
        "credit", "credits", "haben", "credit amount", "deposit", "deposits", "money in",
        "paid in", "in", "amount in", "inflow", "abono", "abonos", "eingang", "einnahmen",
        "gutschrift", "received", "accrediti", "entrate",
    },
    "amount": {
        "amount", "betrag", "montant", "importe", "umsatz", "bedrag", "importo", "valor",
        "kwota", "belopp", "belob", "summe", "sum", "transaction amount", "value", "amt",
        "montant operation",
    },
    "balance": {
        "balance", "running balance", "runningbalance", "saldo", "solde", "kontostand",
        "saldo nach buchung", "balance after", "new balance", "saldo disponible",
        "solde apres operation",
    },
    "currency": {
        "currency", "currency code", "wahrung", "waehrung", "devise", "monnaie", "monn",
        "moneda", "divisa", "ccy", "cur", "curr", "valuta code",
    },
    "status": {"status", "state", "estado", "statut", "stato"},
    "reference": {
        "reference", "ref", "id", "transaction id", "transaction reference", "check number",
        "check no", "cheque number", "check or slip", "check", "n de transaction",
        "no de transaction", "numero de transaction", "operation number", "transaction number",
        "fitid", "bank reference", "reference number", "ref no", "unique id",
        "transaktionsnummer", "buchungsreferenz",
    },
    "account": {
        "kontonummer", "auftragskonto", "produit", "account number", "own account",
        "numero de compte", "compte", "iban auftragskonto",
    },
    "merchant": {
        "payee", "merchant", "merchant name", "name", "partner name", "partner",
        "counterparty", "counterparty name", "beneficiary", "beneficiary name", "empfanger",
        "zahlungsempfanger", "auftraggeber/empfanger", "beguenstigter/zahlungspflichtiger",
        "begunstigter/zahlungspflichtiger", "nom", "tiers", "beneficiario", "contraparte",
        "recipient", "tegenpartij", "name / beneficiary", "empfanger/auftraggeber",
        "payee name", "counter party", "beneficiaire",
    },
    "payer": {
        "auftraggeber", "zahlungspflichtiger", "zahlungspflichtige", "payer", "ordenante",
        "remitter", "from", "donneur d ordre",
    },
    "description": {
        "description", "desc", "verwendungszweck", "remarque", "label", "libelle", "memo",
        "narrative", "concepto", "descripcion", "purpose", "payment reference",
        "reference text", "omschrijving", "particulars", "transaction details",
        "mitteilung", "zweck", "motif", "communication", "causale", "payment details",
        "transaction description", "beschreibung", "vorgang/verwendungszweck",
        "mededelingen", "text",
    },
    "description_extra": {
        "details", "detail", "buchungstext", "booking text", "type", "transaction type",
        "umsatzart", "notes", "note", "comments", "comment", "remarks", "info",
    },
}  # fmt: skip

# Looser matches tried after every exact one, in this order.
_PATTERNS: list[tuple[str, re.Pattern]] = [
    (DATE_VALUE, re.compile(r"valu|wertstell|valeur")),
    (DATE_POSTED, re.compile(r"\b(posting|posted|completed)\b.*\bdate\b")),
    (DATE_MAIN, re.compile(r"datum|\bdate\b|\bfecha\b|\bdata\b")),
    ("indicator", re.compile(r"^(debit|credit|soll|dr|cr)\s*/\s*(credit|debit|haben|cr|dr)$")),
    ("debit", re.compile(r"\b(debit|withdrawal|soll|paid out|money out)")),
    ("credit", re.compile(r"\b(credit|deposit|haben|paid in|money in)")),
    ("balance", re.compile(r"saldo|balance|solde|kontostand")),
    ("amount", re.compile(r"betrag|\bamount\b|montant|importe|bedrag|importo")),
    ("currency", re.compile(r"wahrung|currency|devise|monnaie")),
    ("description", re.compile(r"^vwz ?\d+$|^description ?\d+$|verwendungszweck")),
    ("merchant", re.compile(r"empfanger|payee|merchant|beneficiar|counterpart")),
    ("payer", re.compile(r"auftraggeber|zahlungspflichtig")),
]

# Headers that look like a role but are something else.
_NOT = re.compile(
    r"\b(original|orig|foreign|fremd|fee|fees|gebuhr|commission|exchange|rate|kurs|"
    r"amount currency|available|verfugbar)\b"
)


def normalize_header(text: str) -> str:
    """ "Betrag (€)" -> "betrag", "Zahlungsempfänger*in" -> "zahlungsempfanger"."""
    text = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", text.strip().lstrip("\ufeff"))
    text = text.replace("ß", "ss").replace("ä", "a").replace("ö", "o").replace("ü", "u")
    text = text.replace("Ä", "a").replace("Ö", "o").replace("Ü", "u")
    text = "".join(
        c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c)
    )
    text = re.sub(r"\(.*?\)|\[.*?\]", " ", text)
    text = re.sub(r"\*\w*", "", text)
    text = re.sub(r"[^\w/ ]+", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def header_role(text: str) -> str | None:
    """The role a header names, or None."""
    name = normalize_header(text)
    if not name:
        return None
    for role, names in _EXACT.items():
        if name in names:
            return role
    if _NOT.search(name):
        return None
    for role, pattern in _PATTERNS:
        if pattern.search(name):
            return role
    return None


_CURRENCY_IN_HEADER = re.compile(r"\(([A-Z]{3}|€|£)\)|\b(EUR|USD|GBP|CHF)\b")
_SYMBOLS = {"€": "EUR", "£": "GBP"}


def currency_in_header(text: str) -> str | None:
    """ "Amount (EUR)" -> "EUR", "Betrag (€)" -> "EUR"; "$" says too little."""
    match = _CURRENCY_IN_HEADER.search(text)
    if not match:
        return None
    code = match.group(1) or match.group(2)
    return _SYMBOLS.get(code, code)
