"""Artifact hooks for JSON and pickle values (Flowdapt's
flowdapt.compute.artifacts.misc)."""

import json
import pickle


def json_to_artifact(name="file"):
    def hook(artifact, value):
        artifact.clear()
        artifact.new_file("%s.json" % name, json.dumps(value))
        artifact["value_type"] = "json"
    return hook


def json_from_artifact(name="file"):
    def hook(artifact):
        kind = artifact.get_meta("value_type")
        assert kind == "json", "artifact `%s` holds %s, not json" % (artifact.name, kind)
        fname = "%s.json" % name
        f = artifact.get_file(fname if artifact.has_file(fname) else "object")
        return json.loads(f.read().decode("utf-8"))
    return hook


def pickle_to_artifact(name="file"):
    def hook(artifact, value):
        artifact.clear()
        artifact.new_file("%s.pkl" % name, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
        artifact["value_type"] = "pickle"
    return hook


def pickle_from_artifact(name="file"):
    def hook(artifact):
        kind = artifact.get_meta("value_type")
        assert kind == "pickle", "artifact `%s` holds %s, not pickle" % (artifact.name, kind)
        fname = "%s.pkl" % name
        return pickle.loads(artifact.get_file(fname if artifact.has_file(fname) else
                                              "object").read())
    return hook
