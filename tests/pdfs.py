"""Test PDFs written by hand, so that they do not depend on the code under test."""

from collections.abc import Sequence

A4 = (595.0, 842.0)
A3 = (842.0, 1191.0)


def make_pdf(
    pages: Sequence[tuple[float, float, int]] = ((*A4, 0),),
    *,
    text: str = "Hello, this is page {n}.",
    crop_margin: float = 0.0,
    lines: int = 1,
) -> bytes:
    """A PDF with one (width, height, rotate) page per entry, each showing `text`
    `lines` times (uncompressed, so a test can change a byte of it) in
    Helvetica."""
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    catalog = add(b"")  # filled in below
    pages_ref = add(b"")
    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    kids = []
    for n, (width, height, rotate) in enumerate(pages, start=1):
        line = text.format(n=n).encode("latin-1")
        content = b"BT /F1 18 Tf 20 TL 72 %d Td (%s) Tj%s ET" % (
            int(height) - 100,
            line,
            b" (%s) '" % line * (lines - 1),
        )
        stream = add(
            b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content)
        )
        crop = b""
        if crop_margin:
            crop = b" /CropBox [%g %g %g %g]" % (
                crop_margin,
                crop_margin,
                width - crop_margin,
                height - crop_margin,
            )
        kids.append(
            add(
                b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %g %g]%s /Rotate %d "
                b"/Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>"
                % (pages_ref, width, height, crop, rotate, font, stream)
            )
        )
    objects[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R >>" % pages_ref
    objects[pages_ref - 1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % k for k in kids),
        len(kids),
    )
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        catalog,
        xref,
    )
    return bytes(out)


def signature_png(width: int = 400, height: int = 150) -> bytes:
    """A drawn signature as the signature pad sends it: strokes on a
    transparent canvas."""
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    points = [(30 + i * 10, 75 + (25 if i % 2 else -25)) for i in range(30)]
    draw.line(points, fill=(10, 20, 80, 255), width=4)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


class LocalTimestampServer:
    """An RFC 3161 timestamp server on 127.0.0.1 for the duration of a `with`,
    answering with pyHanko's test timestamper under its own self-signed
    certificate (`certificate`, DER)."""

    def __init__(self) -> None:
        import datetime as dt

        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
        from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test TSA")])
        now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now)
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), True
            )
            .sign(key, hashes.SHA256())
        )
        self.certificate = cert.public_bytes(serialization.Encoding.DER)
        self._key = key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        self.requests = 0

    def __enter__(self) -> "LocalTimestampServer":
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        from asn1crypto import keys, tsp, x509
        from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

        stamper = DummyTimeStamper(
            tsa_cert=x509.Certificate.load(self.certificate),
            tsa_key=keys.PrivateKeyInfo.load(self._key),
        )
        server_self = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                answer = stamper.request_tsa_response(tsp.TimeStampReq.load(body))
                data = answer.dump()
                server_self.requests += 1
                self.send_response(200)
                self.send_header("Content-Type", "application/timestamp-reply")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/"
        self._thread = threading.Thread(target=self._server.serve_forever)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
