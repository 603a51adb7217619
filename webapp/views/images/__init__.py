"""The images page and the optimised files (`pages`), and the upload request (`upload`),
which the API and the editor's logo picker share."""
