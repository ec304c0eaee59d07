"""flowdapt.lib.utils.misc, served by dapt."""
import importlib


def import_from_string(path):
    """The object an import string names: `pkg.module.name` (also
    `pkg.module:name`)."""
    if ":" in path:
        module_path, _, name = path.partition(":")
    else:
        module_path, _, name = path.rpartition(".")
    if not module_path or not name:
        raise ValueError("`%s` isn't a valid module path." % path)
    module = importlib.import_module(module_path)
    obj = module
    for part in name.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise AttributeError("Module %s does not have a `%s` attribute" % (
                module_path, name)) from None
    return obj
