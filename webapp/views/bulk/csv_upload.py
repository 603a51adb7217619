"""The CSV file of a bulk upload request, shared by the API and the bulk page."""
from flask import request
from werkzeug.exceptions import RequestEntityTooLarge

from webapp.services import ServiceError


def uploaded_csv():
    """The stream of the multipart field `file`, or None; 413 with our words past the limit."""
    try:
        upload = request.files.get("file")
    except RequestEntityTooLarge:
        limit = request.max_content_length or 0
        message = (f"The upload is larger than {limit / (1024 * 1024):.0f} MB; split the file "
                   "into several.")
        raise ServiceError(message, fields={"file": message}, status=413,
                           code="file_too_large") from None
    # A form sent without choosing a file has a part with an empty file name.
    return upload.stream if upload is not None and upload.filename else None
