"""The Todo API's Lambda layer: everything the functions share."""
