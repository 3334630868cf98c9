"""The Signatures pages, one module per feature:

- `certificates`: Settings → Signing certificate (import, generate, the
  signing settings), for those who manage the settings;
- `verifying`: Verify, for anyone signed in;
- `requesting`: Activities → New → Signature request (choose the entity and
  a PDF, or upload one) and the request form with its page previews;
- `signing`: the sign page (sign, decline, the e-mail code, page images, the
  worker's status, Retry now);
- `request_page`: what a request's page (loket.requests) shows of a
  signature request, registered in `apps.py`;
- `previews`: a page of a PDF as a PNG, for `requesting` and `signing`.
"""
