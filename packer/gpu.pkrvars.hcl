variant = "gpu"
# GPU checks need a GPU: the build machine usually has none.
acceptance_markers = "not gpu and not capture and not conda"
