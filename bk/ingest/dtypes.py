"""The compact, lossless dtypes a parsed frame is kept in: repeated text as categories, the smallest integers."""

from __future__ import annotations

import numpy as np
import pandas as pd

# a text column becomes categorical only when that saves at least this share of its bytes: a category behaves
# differently (merges, .str, fillna), which is worth it for a real saving, not for a few bytes
CATEGORY_MIN_SAVING = 0.10


def compact_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` in compact dtypes, with the same rows, values and attrs; the input is not changed.

    Text columns become categories when that takes at least ``CATEGORY_MIN_SAVING`` fewer bytes (each row
    then holds a 1- or 2-byte code and each distinct value is stored once: names, purchase orders, styles
    repeated across rows, not roll numbers, which are unique); integers (plain or nullable) are downcast to
    the smallest type holding their range. Floats stay float64 (as integers or float32 they would change the
    arithmetic of every service: fill values, division, sums); dates, booleans and categories are kept.
    """
    result = pd.DataFrame({name: compact_column(frame[name]) for name in frame.columns}, index=frame.index)
    result.attrs = dict(frame.attrs)
    return result


def compact_column(col: pd.Series) -> pd.Series:
    """One column in its compact dtype (see ``compact_frame``); the same object when nothing pays."""
    dtype = col.dtype
    if isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_bool_dtype(dtype) \
            or pd.api.types.is_datetime64_any_dtype(dtype):
        return col
    if pd.api.types.is_string_dtype(dtype) or pd.api.types.is_object_dtype(dtype):
        if col.empty or col.nunique(dropna=True) == len(col):
            return col  # all distinct: the codes would only add bytes
        try:
            category = col.astype("category")
        except (TypeError, ValueError):
            return col
        text_bytes = int(col.memory_usage(deep=True, index=False))
        category_bytes = int(category.memory_usage(deep=True, index=False))
        return category if category_bytes <= (1 - CATEGORY_MIN_SAVING) * text_bytes else col
    if pd.api.types.is_integer_dtype(dtype):
        if col.isna().all():
            return col
        lo, hi = col.min(), col.max()
        nullable = isinstance(dtype, pd.api.extensions.ExtensionDtype)
        for kind in ("int8", "int16", "int32", "int64"):
            info = np.iinfo(kind)
            if info.min <= lo and hi <= info.max:
                return col.astype(kind.capitalize() if nullable else kind)
        return col
    return col
