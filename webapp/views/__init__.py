"""One blueprint per area; each module's blueprint object is `bp`."""
