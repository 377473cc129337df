"""Build the Cython kernels of SmartCity Twin.

``pip install -e .`` (or ``python setup.py build_ext --inplace``) compiles ``twin/_routing.pyx``
(C++, contraction hierarchies and Dijkstra), ``twin/_movement.pyx`` (agent movement),
``twin/_traffic.pyx`` (the queue-based link model) and ``twin/_raptor.pyx`` (journey planning).
Everything else about the package lives in ``pyproject.toml``.
"""
import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup

COMPILE_ARGS = ["-O3"]

extensions = [
    Extension(
        "twin._routing",
        ["twin/_routing.pyx"],
        include_dirs=[np.get_include()],
        language="c++",
        extra_compile_args=COMPILE_ARGS + ["-std=c++17"],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
    ),
    Extension(
        "twin._movement",
        ["twin/_movement.pyx"],
        include_dirs=[np.get_include()],
        extra_compile_args=COMPILE_ARGS,
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
    ),
    Extension(
        "twin._traffic",
        ["twin/_traffic.pyx"],
        include_dirs=[np.get_include()],
        extra_compile_args=COMPILE_ARGS,
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
    ),
    Extension(
        "twin._raptor",
        ["twin/_raptor.pyx"],
        include_dirs=[np.get_include()],
        extra_compile_args=COMPILE_ARGS,
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
    ),
]

setup(ext_modules=cythonize(extensions, language_level=3,
                            compiler_directives={"embedsignature": True}))
