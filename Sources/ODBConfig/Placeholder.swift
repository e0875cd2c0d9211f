enum ODBConfigPlaceholder {}
