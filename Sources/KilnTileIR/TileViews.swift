// TileViews.swift: which tiles are `view`s of others, each resolved to the `alloc` whose memory it names.

/// The `view` ops of a block (loop bodies included), each resolved to its **root**: the `alloc`ed tile whose
/// memory it names (a view of a view resolves through both), and where in each partition of the root it
/// starts. Every consumer that reasons about memory asks this one table: liveness (an access of a view is an
/// access of its root), `dce` (a write through a view writes the root), `allocate` and the dependence
/// analysis (a view's bytes are the root's from `byteOffset` on), and the backends.
public struct TileViews: Sendable {
    /// Where a view lies in its root tile.
    public struct Alias: Hashable, Sendable {
        /// The `alloc`ed tile whose memory the view names.
        public var root: ValueID
        /// The first element of the view within each partition of the root's row-major free elements.
        public var elementOffset: Int
        /// The same offset in bytes.
        public var byteOffset: Int
    }

    /// Every view's alias, keyed by the view.
    public private(set) var aliases: [ValueID: Alias] = [:]

    public init(_ block: Block) {
        block.walk { op in
            guard case .view(let base, let offset) = op.kind, let result = op.result,
                  let element = result.type.tileType?.element else { return }
            let outer = aliases[base] ?? Alias(root: base, elementOffset: 0, byteOffset: 0)
            aliases[result.id] = Alias(root: outer.root, elementOffset: outer.elementOffset + offset,
                                       byteOffset: outer.byteOffset + offset * element.byteSize)
        }
    }

    public init(_ function: Function) { self.init(function.body) }

    public var isEmpty: Bool { aliases.isEmpty }

    /// The tile whose memory `value` is: its root when it is a view, itself otherwise.
    public func root(_ value: ValueID) -> ValueID { aliases[value]?.root ?? value }

    /// A view's placement from its root's: the same first partition, the bytes `byteOffset` further on.
    public func placement(of view: ValueID, root placement: TilePlacement) -> TilePlacement {
        TilePlacement(partition: placement.partition, offset: placement.offset + (aliases[view]?.byteOffset ?? 0))
    }
}
