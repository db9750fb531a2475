// MXQuantization.swift: OCP MX block quantization (32 elements share one E8M0 scale), the one definition of every executor.

import KilnMachine

/// The OCP Microscaling (MX) formats of OCP MX v1.0: a block of 32 elements shares one E8M0 scale (`ScaleFormat`),
/// the elements are `f8e4m3fn` or `f8e5m2` (MXFP8) or `f4e2m1fn` (MXFP4). Kiln quantizes as trn3's vector engine
/// does (NKI's `nisa.quantize_mx`: the spec's section 6.3 conversion with a scale twice as large, "reserving
/// additional range for rounding the largest values in each group without saturation"):
/// - the block's largest magnitude `amax` (the values as stored, exact in f32) gives the scale `2^e`,
///   `e = floor(log2(amax)) - emax + 1`, `emax` the exponent of the element type's largest normal (8 for
///   f8e4m3fn's 448, 15 for f8e5m2's 57344, 2 for f4e2m1fn's 6), clamped to E8M0's -127...127; a block of zeros (or
///   of f32 subnormals, whose `e` is below -127 anyway) has scale 2^-127; so every `|v| / 2^e < 2^emax`;
/// - each element is `v / 2^e` rounded to the element type to nearest even (clamped to its largest finite first,
///   which with this scale never changes a value: the spec's own scale, half this one, would clamp 448...511.99);
/// - a block holding a NaN or an infinity has the NaN scale, and each element is the element type's encoding of +NaN
///   (f8: its NaN; f4e2m1fn, which has none: 0x8, as its conversion of +NaN).
/// Both scales are OCP-compliant; NKI's costs one bit of range at the bottom of a block and never saturates
/// (Docs/numerics.md, "MX block quantization").
/// The dequantized value of an element is `element * scale` rounded once to f32 (exact whenever the scale came from
/// this quantization; a scale operand is first rounded to E8M0 as a store to an E8M0 tile would round it).
public enum MXQuantization {
    /// Elements per block (one scale each), along the free dim of a tile.
    public static let blockSize = ElementType.mxBlockSize
    /// The MX element types.
    public static let elementTypes: [ElementType] = ElementType.allCases.filter(\.isMXElement)

    /// `emax`: the binary exponent of the element type's largest normal value.
    public static func largestNormalExponent(_ element: ElementType) -> Int {
        guard let format = element.floatFormat else { return 0 }
        return Int(format.largestFinite.exponent)
    }

    /// The scale exponent `e` of a block whose largest magnitude is `amax` (a value of f32); nil when the block holds
    /// a NaN or an infinity (the NaN scale).
    public static func scaleExponent(amax: Double, element: ElementType) -> Int? {
        scaleExponent(amax: amax, emax: largestNormalExponent(element))
    }

    /// `scaleExponent(amax:element:)` for an element type whose largest normal is `2^emax` times a significand.
    public static func scaleExponent(amax: Double, emax: Int) -> Int? {
        guard amax.isFinite else { return nil }
        let bits = Float(amax).bitPattern
        let field = Int((bits >> 23) & 0xFF)
        // Zero and f32 subnormals: floor(log2(amax)) <= -127, so e clamps to -127 for every emax >= 0.
        let floorLog2 = field == 0 ? -127 : field - 127
        return max(floorLog2 - emax + 1, ScaleFormat.exponentRange.lowerBound)
    }

    /// One block quantized: its scale (a power of two, or NaN) and its elements (values of `element`).
    public static func quantize(_ block: ArraySlice<Double>, element: ElementType) -> (scale: Double, elements: [Double]) {
        var amax = 0.0
        for value in block { amax = value.isNaN || amax.isNaN ? .nan : Swift.max(amax, Swift.abs(value)) }
        guard let exponent = scaleExponent(amax: amax, element: element) else {
            return (.nan, Array(repeating: element.convert(.nan), count: block.count))
        }
        let limit = element.floatFormat?.largestFinite ?? 0
        let inverse = FloatFormat.scale(1, by: -exponent)
        let elements = block.map { value in element.convert(Swift.min(Swift.max(value * inverse, -limit), limit)) }
        return (FloatFormat.scale(1, by: exponent), elements)
    }

    /// Quantizes each partition's free elements in blocks of 32 (`free` a multiple of 32): the elements, partition
    /// by partition, and the scales, `free / 32` per partition.
    public static func quantizeRows(_ values: [Double], partitions: Int, free: Int,
                                    element: ElementType) -> (elements: [Double], scales: [Double]) {
        var elements: [Double] = [], scales: [Double] = []
        elements.reserveCapacity(partitions * free)
        scales.reserveCapacity(partitions * free / blockSize)
        for partition in 0..<partitions {
            for block in stride(from: 0, to: free, by: blockSize) {
                let start = partition * free + block
                let (scale, quantized) = quantize(values[start..<Swift.min(start + blockSize, partition * free + free)],
                                                  element: element)
                scales.append(scale)
                elements += quantized
            }
        }
        return (elements, scales)
    }

    /// The block scales of each partition's free elements (`free` a multiple of 32) for an element type whose largest
    /// normal has exponent `emax`: powers of two, or NaN for a block holding a NaN or an infinity.
    public static func scaleRows(_ values: [Double], partitions: Int, free: Int, emax: Int) -> [Double] {
        var scales: [Double] = []
        scales.reserveCapacity(partitions * free / blockSize)
        for partition in 0..<partitions {
            for block in stride(from: 0, to: free, by: blockSize) {
                let start = partition * free + block
                var amax = 0.0
                for value in values[start..<Swift.min(start + blockSize, partition * free + free)] {
                    amax = value.isNaN || amax.isNaN ? .nan : Swift.max(amax, Swift.abs(value))
                }
                scales.append(scaleExponent(amax: amax, emax: emax).map { FloatFormat.scale(1, by: $0) } ?? .nan)
            }
        }
        return scales
    }

    /// An element times its block's scale, the scale rounded to E8M0 first, the product rounded once to f32.
    public static func dequantize(_ element: Double, scale: Double) -> Double {
        Double(Float(element * ScaleFormat.round(scale)))
    }
}
