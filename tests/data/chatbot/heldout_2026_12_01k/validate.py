#!/usr/bin/env python3
"""Validate this set with the shared checker, ../validate_set.py. Usage: python3 validate.py [data_dir]"""
import os
import runpy
import sys

here = os.path.dirname(os.path.abspath(__file__))
sys.argv = [os.path.join(here, "..", "validate_set.py"), here] + sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
