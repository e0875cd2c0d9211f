enum ODBHTTPPlaceholder {}
