"""Reading untrusted XML (bank statements, exchange-rate files): defused, with line numbers."""

from xml.etree.ElementTree import Element, TreeBuilder

from defusedxml.ElementTree import DefusedXMLParser


class _LineTreeBuilder(TreeBuilder):
    """A TreeBuilder that remembers the line each element starts on, for error messages."""

    def __init__(self) -> None:
        super().__init__()
        self.parser: DefusedXMLParser | None = None
        self.lines: dict[int, int] = {}

    def start(self, tag, attrs):
        element = super().start(tag, attrs)
        self.lines[id(element)] = self.parser.parser.CurrentLineNumber
        return element


def parse_with_lines(data: bytes) -> tuple[Element, dict[int, int]]:
    """The root element, and the line each element starts on (keyed by ``id(element)``).

    A DTD or entity declaration raises ``defusedxml.DefusedXmlException`` (no file we read
    has one, and they are how XML bombs and external fetches work); malformed XML raises
    ``xml.etree.ElementTree.ParseError``. Callers turn both into their own clear errors.
    """
    builder = _LineTreeBuilder()
    parser = DefusedXMLParser(target=builder, forbid_dtd=True)
    builder.parser = parser
    parser.feed(data)
    return parser.close(), builder.lines
