"""Load benchmark: our app against a tutorial-style baseline and a raw Starlette ceiling (`make bench`)."""
