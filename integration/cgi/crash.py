#!/usr/bin/python3
"""Dies of SIGABRT before writing anything."""
import os

os.abort()
