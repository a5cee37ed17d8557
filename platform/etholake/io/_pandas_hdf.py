"""Read pandas ``to_hdf`` frames with h5py, without pandas and without unpickling.

pandas writes a DataFrame either in *fixed* format (``block0_values`` plus
``axis0``/``axis1`` index datasets) or in *table* format (a compound ``table``
dataset whose column labels live in a protocol-0 pickle stored as an HDF5
attribute). Reading the value blocks directly lets callers copy row blocks
into their own arrays instead of materialising a MultiIndex frame.

Rows are read a few MiB (whole chunks) at a time into one reused buffer, in
their stored dtype, so HDF5 copies bytes without converting them: having
HDF5 convert them to float32, or pick one field out of a compound table,
takes two to four times as long.

Pickled attributes are decoded by :func:`literal_from_pickle`, which walks
the opcode stream and accepts only literal containers, strings and numbers:
nothing is imported or called, so a hostile file cannot run code.
"""

from __future__ import annotations

import pickletools
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple

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


class RowBlock(NamedTuple):
    """Consecutive rows of a stored DataFrame.

    Attributes
    ----------
    start
        Position of the first row.
    index
        Row labels: an int64 array, or a list of label tuples for strings/MultiIndex.
    values
        (rows, columns) values in column order, in the stored dtype. It may be a
        view of a buffer that the next block overwrites: copy what you keep.
    """

    start: int
    index: np.ndarray | list[tuple[str, ...]]
    values: np.ndarray


@dataclass
class PandasFrame:
    """A pandas DataFrame stored in HDF5, read lazily in row blocks.

    Attributes
    ----------
    columns
        One tuple of labels per column (a 1-tuple for a flat column index).
    n_rows
        Number of rows.
    _blocks
        (dataset or table field, column positions) of each stored value block.
    _fixed_index
        Row labels of a fixed-format frame, read up front; None for the table
        format, whose labels are read with the values.
    """

    group: h5py.Group
    columns: list[tuple[str, ...]]
    n_rows: int
    _blocks: list[tuple[str, np.ndarray]]
    _fixed_index: np.ndarray | list[tuple[str, ...]] | None = None

    @property
    def fixed_index(self) -> np.ndarray | list[tuple[str, ...]] | None:
        """Row labels of a fixed-format frame; None for the table format (read them from the table)."""
        return self._fixed_index

    def iter_blocks(self, block_bytes: int) -> Iterator[RowBlock]:
        """Yield the rows in blocks of about ``block_bytes`` stored bytes.

        Values are read in their stored dtype, so HDF5 copies them without
        converting; each block reuses the previous block's buffer.
        """
        if self._fixed_index is None:
            yield from self._iter_table_blocks(block_bytes)
        else:
            yield from self._iter_fixed_blocks(block_bytes)

    def _iter_table_blocks(self, block_bytes: int) -> Iterator[RowBlock]:
        table = self.group["table"]
        buffer = np.empty(_block_rows(table, table.dtype.itemsize, block_bytes, self.n_rows), dtype=table.dtype)
        for start, stop in _block_bounds(self.n_rows, len(buffer)):
            rows = buffer[: stop - start]
            table.read_direct(rows, np.s_[start:stop])
            values = [rows[field].reshape(len(rows), -1) for field, _ in self._blocks]
            yield RowBlock(start, _table_index(rows["index"]), self._in_column_order(values))

    def _iter_fixed_blocks(self, block_bytes: int) -> Iterator[RowBlock]:
        sources = [self.group[name] for name, _ in self._blocks]
        row_bytes = sum(source.dtype.itemsize * source.shape[1] for source in sources)
        n_rows = _block_rows(sources[0], row_bytes, block_bytes, self.n_rows)
        buffers = [np.empty((n_rows, source.shape[1]), dtype=source.dtype) for source in sources]
        for start, stop in _block_bounds(self.n_rows, n_rows):
            values = [buffer[: stop - start] for buffer in buffers]
            for source, rows in zip(sources, values, strict=True):
                source.read_direct(rows, np.s_[start:stop])
            yield RowBlock(start, self._fixed_index[start:stop], self._in_column_order(values))

    @cached_property
    def _single_ordered_block(self) -> bool:
        return len(self._blocks) == 1 and np.array_equal(self._blocks[0][1], np.arange(len(self.columns)))

    def _in_column_order(self, values: list[np.ndarray]) -> np.ndarray:
        if self._single_ordered_block:
            return values[0]
        out = np.empty((len(values[0]), len(self.columns)), dtype=np.float64)
        for block, (_, positions) in zip(values, self._blocks, strict=True):
            out[:, positions] = block
        return out


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
    return _frame(group, columns, n_rows, blocks, index)


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
    if table.ndim != 1 or table.dtype.names is None or "index" not in table.dtype.names:
        raise ValueError("the pandas table has no 'index' column")
    non_index_axes = literal_from_pickle(bytes(group.attrs["non_index_axes"]))
    columns = [tuple(str(v) for v in (c if isinstance(c, tuple) else (c,))) for c in non_index_axes[0][1]]
    value_fields = literal_from_pickle(bytes(group.attrs["values_cols"]))
    column_position = {label: i for i, label in enumerate(columns)}
    blocks: list[tuple[str, np.ndarray]] = []
    for field in value_fields:
        kind = literal_from_pickle(bytes(table.attrs[f"{field}_kind"]))
        items = [tuple(str(v) for v in (c if isinstance(c, tuple) else (c,))) for c in kind]
        field_type = table.dtype[field]
        if field_type.base.kind not in "fiu":
            raise ValueError(f"table field {field} holds {field_type} values, not numbers")
        if int(np.prod(field_type.shape, dtype=np.int64)) != len(items):
            raise ValueError(f"table field {field} holds {field_type.shape} values for {len(items)} columns")
        blocks.append((field, np.array([column_position[item] for item in items], dtype=np.intp)))
    return _frame(group, columns, table.shape[0], blocks)


def _frame(
    group: h5py.Group,
    columns: list[tuple[str, ...]],
    n_rows: int,
    blocks: list[tuple[str, np.ndarray]],
    index: np.ndarray | list[tuple[str, ...]] | None = None,
) -> PandasFrame:
    covered = np.concatenate([positions for _, positions in blocks]) if blocks else np.empty(0, dtype=np.intp)
    if index is not None and len(index) != n_rows:
        raise ValueError(f"the row index has {len(index)} labels for {n_rows} rows")
    if sorted(covered.tolist()) != list(range(len(columns))):
        raise ValueError("the value blocks do not cover every column exactly once (data columns are not supported)")
    return PandasFrame(group, columns, n_rows, blocks, index)


def _table_index(raw: np.ndarray) -> np.ndarray | list[tuple[str, ...]]:
    if raw.dtype.kind in "iu":
        return raw.astype(np.int64)
    return [(str(_label(v)),) for v in raw]


def _block_rows(dataset: h5py.Dataset, row_bytes: int, block_bytes: int, n_rows: int) -> int:
    """Rows in about ``block_bytes``: whole chunks of ``dataset`` (none is read twice), at most ``n_rows``."""
    chunk_rows = dataset.chunks[0] if dataset.chunks else 1
    rows = max(1, block_bytes // max(1, row_bytes * chunk_rows)) * chunk_rows
    return max(1, min(rows, n_rows))


def _block_bounds(n_rows: int, rows_per_block: int) -> Iterator[tuple[int, int]]:
    for start in range(0, n_rows, rows_per_block):
        yield start, min(start + rows_per_block, n_rows)


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
