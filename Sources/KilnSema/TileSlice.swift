// TileSlice.swift: which dims of an hbm slice a `load`/`store` tile keeps: the rule, stated once.

import KilnSyntax

/// The tile a `load(x[...])` fills or a `store(out[...], t)` empties is the slice without its **leading plain
/// indices**, keeping at least the last two dims:
/// - `x[b, i : i + 128, :]` of `[B, S, D]` is `[128, D]`, `x[b, h, i : i + 128, :]` of `[B, H, S, D]` is
///   `[128, D]` (at most rank - 2 dims are dropped, so every rank-2 tile keeps its meaning);
/// - `x[b, i : i + 128, :, :]` of `[B, S, H, D]` is `[128, H, D]`: the first dim written as a range (even
///   `:` or one of size 1) is the partition dim, and every dim after it is a free dim;
/// - a plain index after the partition dim keeps its size-1 dim (`x[b, i : i + 128, h, :]` is `[128, 1, D]`);
/// - an unsliced tensor (`load(x)`) or a slice with no leading plain index keeps every dim.
/// The tile's dims are therefore always the slice's trailing dims, which is what `DMASlice` maps.
public enum TileSlice {
    /// How many leading dims of a slice written with `items` the tile drops.
    public static func droppedDims(_ items: [IndexItem]) -> Int {
        var plain = 0
        for item in items {
            guard case .index = item else { break }
            plain += 1
        }
        return max(0, min(plain, items.count - 2))
    }
}
