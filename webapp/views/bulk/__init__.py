"""The bulk page (`pages`) and the CSV file of an upload request (`csv_upload`), which
the API shares."""
