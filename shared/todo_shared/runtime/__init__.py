"""The Lambda runtime glue: the handler wrapper, SnapStart hooks, inline sync calls."""
