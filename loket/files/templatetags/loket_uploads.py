"""`{% direct_upload_url as url %}`: the upload widget's way to the bucket
(`loket.files.s3_uploads.direct_upload_url`), "" when the files are not on S3."""

from django import template

from loket.files import s3_uploads

register = template.Library()


@register.simple_tag
def direct_upload_url() -> str:
    return s3_uploads.direct_upload_url()
