"""product-service: the catalog, free-form attributes and stock levels."""
