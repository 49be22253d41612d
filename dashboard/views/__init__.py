"""The dashboard pages, one file each, in the order of ``dashboard/navigation.py``."""
