"""DataFrame artifact hooks (Flowdapt's
flowdapt.compute.artifacts.dataset.dataframes): files partition-<i>.<format>.
pandas is imported when a hook runs; parquet needs pyarrow or fastparquet."""

FORMATS = ("parquet", "csv")
READ_FORMATS = ("parquet", "csv", "orc")


def _parts(df, num_parts):
    if not num_parts or num_parts <= 1:
        return [df]
    n = len(df)
    size, extra = divmod(n, num_parts)
    out, start = [], 0
    for i in range(num_parts):
        end = start + size + (1 if i < extra else 0)
        out.append(df.iloc[start:end])
        start = end
    return out


def dataframe_to_artifact(format="parquet", num_parts=None, **options):
    if format not in FORMATS:
        raise ValueError("unknown DataFrame format `%s`: use %s" % (format, ", ".join(FORMATS)))

    def hook(artifact, df):
        artifact.clear()
        for i, part in enumerate(_parts(df, num_parts)):
            f = artifact.new_file("partition-%d.%s" % (i, format))
            if format == "parquet":
                part.to_parquet(f.path, **options)
            else:
                part.to_csv(f.path, **options)
        artifact["value_type"] = "dataframe"
        artifact["format"] = format
    return hook


def dataframe_from_artifact(format="parquet", **options):
    if format not in READ_FORMATS:
        raise ValueError("unknown DataFrame format `%s`: use %s" % (
            format, ", ".join(READ_FORMATS)))

    def hook(artifact):
        import pandas as pd

        suffix = "." + format
        files = [f for f in artifact.list_files()
                 if f.name.startswith("partition-") and f.name.endswith(suffix)]
        files.sort(key=lambda f: int(f.name[len("partition-"):-len(suffix)]))
        if not files:
            raise FileNotFoundError("artifact `%s` has no %s partitions" % (artifact.name, format))
        read = {"parquet": pd.read_parquet, "orc": pd.read_orc,
                "csv": lambda p, **o: pd.read_csv(p, index_col=0, **o)}[format]
        frames = [read(f.path, **options) for f in files]
        return frames[0] if len(frames) == 1 else pd.concat(frames)
    return hook
