"""Read pandas ``to_hdf`` frames with h5py, without pandas and without unpickling.

pandas writes a DataFrame either in *fixed* format (``block0_values`` plus
``axis0``/``axis1`` index datasets) or in *table* format (a compound ``table``
dataset whose column labels live in a protocol-0 pickle stored as an HDF5
attribute). Reading the value blocks directly lets callers copy row blocks
into their own arrays instead of materialising a MultiIndex frame. Pickled
attributes are decoded by :func:`literal_from_pickle`, which walks the opcode
stream and accepts only literal containers, strings and numbers: nothing is
imported or called, so a hostile file cannot run code.
"""

from __future__ import annotations

import pickletools
from collections.abc import Iterator
from dataclasses import dataclass

import h5py
import numpy as np

_PUSH_VALUE = {
    "UNICODE",
    "BINUNICODE",
    "SHORT_BINUNICODE",
    "BINUNICODE8",
    "STRING",
    "BINSTRING",
    "SHORT_BINSTRING",
    "BINBYTES",
    "SHORT_BINBYTES",
    "INT",
    "LONG",
    "BININT",
    "BININT1",
    "BININT2",
    "LONG1",
    "LONG4",
    "FLOAT",
    "BINFLOAT",
}
_IGNORED = {"PROTO", "FRAME", "STOP"}


class UnsafePickleError(ValueError):
    """A pickled attribute holds something other than literal data."""


def literal_from_pickle(data: bytes) -> object:
    """Decode a pickle made only of lists, tuples, dicts, strings, numbers, booleans and None.

    Raises
    ------
    UnsafePickleError
        On any opcode that would import, construct or call an object.
    """
    stack: list[object] = []
    marks: list[int] = []
    memo: dict[int, object] = {}

    def pop_mark() -> list[object]:
        start = marks.pop()
        items = stack[start:]
        del stack[start:]
        return items

    for opcode, arg, _ in pickletools.genops(data):
        name = opcode.name
        if name in _IGNORED:
            continue
        if name in _PUSH_VALUE:
            stack.append(arg.decode("utf-8") if isinstance(arg, bytes) else arg)
        elif name == "NONE":
            stack.append(None)
        elif name in ("NEWTRUE", "NEWFALSE"):
            stack.append(name == "NEWTRUE")
        elif name == "MARK":
            marks.append(len(stack))
        elif name == "EMPTY_LIST":
            stack.append([])
        elif name == "EMPTY_DICT":
            stack.append({})
        elif name == "EMPTY_TUPLE":
            stack.append(())
        elif name == "LIST":
            stack.append(pop_mark())
        elif name == "TUPLE":
            stack.append(tuple(pop_mark()))
        elif name in ("TUPLE1", "TUPLE2", "TUPLE3"):
            size = int(name[-1])
            items = tuple(stack[-size:])
            del stack[-size:]
            stack.append(items)
        elif name == "DICT":
            items = pop_mark()
            stack.append(dict(zip(items[::2], items[1::2])))
        elif name == "APPEND":
            value = stack.pop()
            _as(stack[-1], list).append(value)
        elif name == "APPENDS":
            items = pop_mark()
            _as(stack[-1], list).extend(items)
        elif name == "SETITEM":
            value, key = stack.pop(), stack.pop()
            _as(stack[-1], dict)[key] = value
        elif name == "SETITEMS":
            items = pop_mark()
            _as(stack[-1], dict).update(zip(items[::2], items[1::2]))
        elif name in ("PUT", "BINPUT", "LONG_BINPUT"):
            memo[int(arg)] = stack[-1]
        elif name == "MEMOIZE":
            memo[len(memo)] = stack[-1]
        elif name in ("GET", "BINGET", "LONG_BINGET"):
            stack.append(memo[int(arg)])
        else:
            raise UnsafePickleError(f"pickled attribute uses opcode {name}, which is not literal data")
    if len(stack) != 1:
        raise UnsafePickleError("pickled attribute did not decode to one value")
    return stack[0]


def _as(value: object, kind: type) -> object:
    if not isinstance(value, kind):
        raise UnsafePickleError(f"pickled attribute applies a {kind.__name__} operation to {type(value).__name__}")
    return value


def pandas_keys(handle: h5py.File) -> list[str]:
    """Return the keys of every pandas DataFrame stored in an open HDF5 file."""
    keys: list[str] = []

    def visit(name: str, obj: h5py.HLObject) -> None:
        if isinstance(obj, h5py.Group) and _text(obj.attrs.get("pandas_type")) in ("frame", "frame_table"):
            keys.append(name)

    handle.visititems(visit)
    return keys


@dataclass
class PandasFrame:
    """A pandas DataFrame stored in HDF5, read lazily.

    Attributes
    ----------
    columns
        One tuple of labels per column (a 1-tuple for a flat column index).
    index
        Row labels: an int64 array, or a list of label tuples for strings/MultiIndex.
    n_rows
        Number of rows.
    """

    group: h5py.Group
    columns: list[tuple[str, ...]]
    index: np.ndarray | list[tuple[str, ...]]
    n_rows: int
    _blocks: list[tuple[str, np.ndarray]]

    def iter_blocks(self, rows_per_block: int) -> Iterator[tuple[int, np.ndarray]]:
        """Yield (first row, float32 block of shape (rows, columns)) in table column order.

        HDF5 converts the values to float32 while reading, so only one block
        of the stored (usually float64) values is ever in memory.
        """
        for start in range(0, self.n_rows, rows_per_block):
            stop = min(start + rows_per_block, self.n_rows)
            yield start, self._read_rows(start, stop)

    def _read_rows(self, start: int, stop: int) -> np.ndarray:
        if len(self._blocks) == 1 and np.array_equal(self._blocks[0][1], np.arange(len(self.columns))):
            return self._read_block(self._blocks[0][0], start, stop)
        out = np.empty((stop - start, len(self.columns)), dtype=np.float32)
        for source, positions in self._blocks:
            out[:, positions] = self._read_block(source, start, stop)
        return out

    def _read_block(self, source: str, start: int, stop: int) -> np.ndarray:
        if self.is_table:
            table = self.group["table"]
            width = int(np.prod(table.dtype[source].shape, dtype=np.int64))
            buffer = np.empty(stop - start, dtype=[(source, np.float32, (width,))])
            table.read_direct(buffer, np.s_[start:stop], np.s_[0 : stop - start])
            return buffer[source]
        values = self.group[source]
        buffer = np.empty((stop - start, values.shape[1]), dtype=np.float32)
        values.read_direct(buffer, np.s_[start:stop], np.s_[0 : stop - start])
        return buffer

    @property
    def is_table(self) -> bool:
        """Whether the frame was written in pandas' table format."""
        return "table" in self.group and isinstance(self.group["table"], h5py.Dataset)


def read_pandas_frame(group: h5py.Group) -> PandasFrame:
    """Describe the DataFrame stored in ``group`` (fixed or table format) without reading its values."""
    if _text(group.attrs.get("pandas_type")) == "frame_table":
        return _read_table_frame(group)
    return _read_fixed_frame(group)


def _read_fixed_frame(group: h5py.Group) -> PandasFrame:
    if int(group.attrs.get("ndim", 2)) != 2 or ("axis0" not in group and "axis0_level0" not in group):
        raise ValueError("the stored pandas object is not a 2-D DataFrame")
    columns = _read_labels(group, "axis0")
    index = _read_row_index(group, "axis1")
    n_rows = len(index)
    column_position = {label: i for i, label in enumerate(columns)}
    blocks: list[tuple[str, np.ndarray]] = []
    for block in range(int(group.attrs.get("nblocks", 1))):
        items = _read_labels(group, f"block{block}_items")
        values = group[f"block{block}_values"]
        if values.ndim != 2 or values.shape != (n_rows, len(items)):
            raise ValueError(f"block{block}_values has shape {values.shape}, expected ({n_rows}, {len(items)})")
        if values.dtype.kind not in "fiu":
            raise ValueError(f"block{block}_values holds {values.dtype} values, not numbers")
        blocks.append((f"block{block}_values", np.array([column_position[item] for item in items], dtype=np.intp)))
    return _frame(group, columns, index, n_rows, blocks)


def _read_labels(group: h5py.Group, name: str) -> list[tuple[str, ...]]:
    if f"{name}_level0" in group:
        n_levels = sum(1 for key in group if key.startswith(f"{name}_level"))
        levels = [[_label(v) for v in group[f"{name}_level{i}"][()]] for i in range(n_levels)]
        codes = [group[f"{name}_label{i}"][()] for i in range(n_levels)]
        return [tuple(levels[i][c] if c >= 0 else "" for i, c in enumerate(row)) for row in zip(*codes)]
    return [(_label(v),) for v in group[name][()]]


def _read_row_index(group: h5py.Group, name: str) -> np.ndarray | list[tuple[str, ...]]:
    if f"{name}_level0" not in group:
        raw = group[name][()]
        if raw.dtype.kind in "iu":
            return raw.astype(np.int64)
    return [tuple(str(v) for v in label) for label in _read_labels(group, name)]


def _read_table_frame(group: h5py.Group) -> PandasFrame:
    table = group["table"]
    non_index_axes = literal_from_pickle(bytes(group.attrs["non_index_axes"]))
    columns = [tuple(str(v) for v in (c if isinstance(c, tuple) else (c,))) for c in non_index_axes[0][1]]
    value_fields = literal_from_pickle(bytes(group.attrs["values_cols"]))
    column_position = {label: i for i, label in enumerate(columns)}
    blocks: list[tuple[str, np.ndarray]] = []
    for field in value_fields:
        kind = literal_from_pickle(bytes(table.attrs[f"{field}_kind"]))
        items = [tuple(str(v) for v in (c if isinstance(c, tuple) else (c,))) for c in kind]
        if table.dtype[field].base.kind not in "fiu":
            raise ValueError(f"table field {field} holds {table.dtype[field]} values, not numbers")
        blocks.append((field, np.array([column_position[item] for item in items], dtype=np.intp)))
    raw_index = np.empty(table.shape[0], dtype=[("index", table.dtype["index"])])
    table.read_direct(raw_index)
    raw_index = raw_index["index"]
    if raw_index.dtype.kind in "iu":
        index: np.ndarray | list[tuple[str, ...]] = raw_index.astype(np.int64)
    else:
        index = [(str(_label(v)),) for v in raw_index]
    return _frame(group, columns, index, table.shape[0], blocks)


def _frame(
    group: h5py.Group,
    columns: list[tuple[str, ...]],
    index: np.ndarray | list[tuple[str, ...]],
    n_rows: int,
    blocks: list[tuple[str, np.ndarray]],
) -> PandasFrame:
    covered = np.concatenate([positions for _, positions in blocks]) if blocks else np.empty(0, dtype=np.intp)
    if len(index) != n_rows:
        raise ValueError(f"the row index has {len(index)} labels for {n_rows} rows")
    if sorted(covered.tolist()) != list(range(len(columns))):
        raise ValueError("the value blocks do not cover every column exactly once (data columns are not supported)")
    return PandasFrame(group, columns, index, n_rows, blocks)


def _label(value: object) -> object:
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def _text(value: object) -> str | None:
    if value is None:
        return None
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)
