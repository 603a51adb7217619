"""The codes pages: list and editor (`pages`, with `forms` turning the editor's fields into
service values), downloads of all codes or scans (`exports`), a code's analytics page
(`analytics`, drawing its chart with `chart`)."""
