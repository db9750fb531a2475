"""setup.py: tags the wheel for this platform (py3-none-PLATFORM): it bundles libKiln, a native library loaded with ctypes."""
from setuptools import setup
from setuptools.dist import Distribution

try:
    from setuptools.command.bdist_wheel import bdist_wheel
except ImportError:
    from wheel.bdist_wheel import bdist_wheel


class NativeDistribution(Distribution):
    """A distribution with native code (so the wheel is not tagged `any`), though no Python extension module."""

    def has_ext_modules(self):
        return True


class PlatformWheel(bdist_wheel):
    """Any Python 3, no CPython ABI (ctypes only), this platform."""

    def get_tag(self):
        _, _, platform = super().get_tag()
        return "py3", "none", platform


setup(distclass=NativeDistribution, cmdclass={"bdist_wheel": PlatformWheel})
