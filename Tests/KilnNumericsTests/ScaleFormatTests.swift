// ScaleFormatTests.swift: E8M0, the MX block scale: every code, and f32 inputs converted bit for bit as ml_dtypes does.

import Foundation
import Testing

@testable import KilnNumerics

@Test func everyScaleCodeIsAPowerOfTwoAndEncodesBack() {
    for code in UInt64(0)..<255 {
        let value = ScaleFormat.decode(code)
        #expect(value == pow(2.0, Double(Int(code) - 127)))
        #expect(ScaleFormat.encode(value) == code)
        // Just below 1.5 times the power rounds down, 1.5 times it (the tie) up (NaN past 2^127).
        #expect(ScaleFormat.encode(value * 1.5.nextDown) == code)
        #expect(ScaleFormat.encode(value * 1.5) == (code == 254 ? 255 : code + 1))
    }
    #expect(ScaleFormat.decode(255).isNaN)
    for special in [0.0, -0.0, -1.0, -.infinity, .infinity, .nan] { #expect(ScaleFormat.encode(special) == 255) }
    #expect(ScaleFormat.encode(1e-300) == 0)   // below 2^-127: the smallest code
    #expect(ScaleFormat.code(exponent: -200) == 0 && ScaleFormat.code(exponent: 128) == 255)
}

/// (f32 bits, ml_dtypes' float8_e8m0fnu code) for powers of two and their 1.25 / 1.5 / 1.75 multiples with
/// their f32 neighbours from 2^-149 to 2^127, zeros, negatives, infinities, NaNs, f32 subnormals, 64 random f32
/// patterns and 64 random patterns between 2^-27 and 2^32; made by
/// `np.array(bits, np.uint32).view(np.float32).astype(ml_dtypes.float8_e8m0fnu).view(np.uint8)` (ml_dtypes 0.7.0).
let mlDtypesE8M0: [(UInt32, UInt64)] = [
    (0x00000000, 255), (0x00000001, 0), (0x00000002, 0), (0x000001FF, 0), (0x00000200, 0), (0x00000201, 0),
    (0x0000027F, 0), (0x00000280, 0), (0x00000281, 0), (0x000002FF, 0), (0x00000300, 0), (0x00000301, 0),
    (0x0000037F, 0), (0x00000380, 0), (0x00000381, 0), (0x00193181, 0), (0x001FFFFF, 0), (0x00200000, 0),
    (0x00200001, 0), (0x0027FFFF, 0), (0x00280000, 0), (0x00280001, 0), (0x002FFFFF, 0), (0x00300000, 0),
    (0x00300001, 0), (0x0037FFFF, 0), (0x00380000, 0), (0x00380001, 0), (0x003FFFFF, 0), (0x00400000, 0),
    (0x00400001, 0), (0x004FFFFF, 0), (0x00500000, 0), (0x00500001, 0), (0x005FFFFF, 0), (0x00600000, 1),
    (0x00600001, 1), (0x006FFFFF, 1), (0x00700000, 1), (0x00700001, 1), (0x007FFFFF, 1), (0x00800000, 1),
    (0x00800001, 1), (0x009FFFFF, 1), (0x00A00000, 1), (0x00A00001, 1), (0x00BFFFFF, 1), (0x00C00000, 2),
    (0x00C00001, 2), (0x00DFFFFF, 2), (0x00E00000, 2), (0x00E00001, 2), (0x104973A2, 33), (0x10581CBF, 33),
    (0x11B5B4B2, 35), (0x1784F3B9, 47), (0x17E4BE7C, 48), (0x26266626, 76), (0x2881E755, 81), (0x2BA2E3EB, 87),
    (0x2EC44C60, 94), (0x321599A1, 100), (0x324609B2, 101), (0x325D49A5, 101), (0x32923258, 101), (0x329F201C, 101),
    (0x32B18BF6, 101), (0x32E9683A, 102), (0x332A696F, 102), (0x33A5D757, 103), (0x34308E42, 104), (0x34A67008, 105),
    (0x35602141, 107), (0x35A90A1E, 107), (0x360EEB83, 108), (0x36352C2D, 108), (0x364A2705, 109), (0x3682CC0E, 109),
    (0x37220186, 110), (0x373F0922, 110), (0x375673E4, 111), (0x38210DD5, 112), (0x38BDC76D, 113), (0x3919D74B, 114),
    (0x394E1F40, 115), (0x396CA658, 115), (0x396ED792, 115), (0x3991D3E2, 115), (0x399C84A8, 115), (0x39BB609F, 115),
    (0x3A674DD9, 117), (0x3B32C9E9, 118), (0x3BE9FFD1, 120), (0x3C6D347F, 121), (0x3C7AC74B, 121), (0x3D92B8C3, 123),
    (0x3DF633B9, 124), (0x3E46FF0C, 125), (0x3E844E56, 125), (0x3EBC1913, 125), (0x3EE223DF, 126), (0x3EFFFFFF, 126),
    (0x3F000000, 126), (0x3F000001, 126), (0x3F1DB73C, 126), (0x3F1FFFFF, 126), (0x3F200000, 126), (0x3F200001, 126),
    (0x3F21C647, 126), (0x3F3FFFFF, 126), (0x3F400000, 127), (0x3F400001, 127), (0x3F505148, 127), (0x3F5C7B0E, 127),
    (0x3F5FFFFF, 127), (0x3F600000, 127), (0x3F600001, 127), (0x3F7FFFFF, 127), (0x3F800000, 127), (0x3F800001, 127),
    (0x3F9FFFFF, 127), (0x3FA00000, 127), (0x3FA00001, 127), (0x3FBFFFFF, 127), (0x3FC00000, 128), (0x3FC00001, 128),
    (0x3FDFFFFF, 128), (0x3FE00000, 128), (0x3FE00001, 128), (0x3FFFFFFF, 128), (0x40000000, 128), (0x40000001, 128),
    (0x40195175, 128), (0x401FFFFF, 128), (0x40200000, 128), (0x40200001, 128), (0x403FFFFF, 128), (0x40400000, 129),
    (0x40400001, 129), (0x405FFFFF, 129), (0x40600000, 129), (0x40600001, 129), (0x407FFFFF, 129), (0x40800000, 129),
    (0x40800001, 129), (0x409DAF1C, 129), (0x409FFFFF, 129), (0x40A00000, 129), (0x40A00001, 129), (0x40BFFFFF, 129),
    (0x40C00000, 130), (0x40C00001, 130), (0x40DFFFFF, 130), (0x40E00000, 130), (0x40E00001, 130), (0x40E5B074, 130),
    (0x412A7E8C, 130), (0x414E3CC1, 131), (0x41929C23, 131), (0x41B1D4B0, 131), (0x41D8CA24, 132), (0x4237C582, 132),
    (0x42DA718A, 134), (0x431430A8, 134), (0x439F54E2, 135), (0x43B2284F, 135), (0x4473CB37, 137), (0x44D83482, 138),
    (0x4563EF52, 139), (0x46182C79, 140), (0x46D6BA3B, 142), (0x477CA41A, 143), (0x4797CC7A, 143), (0x4797D6E7, 143),
    (0x47CC49E9, 144), (0x48164306, 144), (0x485D4B24, 145), (0x487AA05F, 145), (0x4A79A225, 149), (0x4B546F47, 151),
    (0x4CF63032, 154), (0x4E5B8A06, 157), (0x503AF87A, 160), (0x5A0F95C2, 180), (0x5EE83182, 190), (0x5EFFFFFF, 190),
    (0x5F000000, 190), (0x5F000001, 190), (0x5F003FD8, 190), (0x5F1FFFFF, 190), (0x5F200000, 190), (0x5F200001, 190),
    (0x5F3FFFFF, 190), (0x5F400000, 191), (0x5F400001, 191), (0x5F5FFFFF, 191), (0x5F600000, 191), (0x5F600001, 191),
    (0x625B4D96, 197), (0x6943BFDC, 211), (0x6B665737, 215), (0x6E1C8C15, 220), (0x6E823C19, 221), (0x70366C37, 224),
    (0x733079E5, 230), (0x75F23651, 236), (0x779C5B0D, 239), (0x7A0B55FC, 244), (0x7BC098C4, 248), (0x7CC97EB2, 250),
    (0x7E7FFFFF, 253), (0x7E800000, 253), (0x7E800001, 253), (0x7E9FFFFF, 253), (0x7EA00000, 253), (0x7EA00001, 253),
    (0x7EBFFFFF, 253), (0x7EC00000, 254), (0x7EC00001, 254), (0x7EDFFFFF, 254), (0x7EE00000, 254), (0x7EE00001, 254),
    (0x7EFFFFFF, 254), (0x7F000000, 254), (0x7F000001, 254), (0x7F1FFFFF, 254), (0x7F200000, 254), (0x7F200001, 254),
    (0x7F3FFFFF, 254), (0x7F400000, 255), (0x7F400001, 255), (0x7F5FFFFF, 255), (0x7F600000, 255), (0x7F600001, 255),
    (0x7F7FFFFF, 255), (0x7F800000, 255), (0x7F800001, 255), (0x7F9F0814, 255), (0x7FC00000, 255), (0x80000000, 255),
    (0x80400000, 255), (0x83E02F1B, 255), (0x86214179, 255), (0x8730470B, 255), (0x881DC127, 255), (0x8977B485, 255),
    (0x902E62D3, 255), (0x92CC5615, 255), (0x96ADE374, 255), (0x991EC523, 255), (0xA7F7016D, 255), (0xA9C08240, 255),
    (0xACA8E5E5, 255), (0xB3F68727, 255), (0xB42F854C, 255), (0xB891D15C, 255), (0xBF800000, 255), (0xC6F047A6, 255),
    (0xC9297732, 255), (0xCB4DBEB6, 255), (0xCC4FBFCA, 255), (0xCC78A12B, 255), (0xD60B48F0, 255), (0xD72EBBB1, 255),
    (0xD8DFB2D5, 255), (0xDAAC0E5E, 255), (0xEEDC8E14, 255), (0xF53DB0B8, 255), (0xFAE71EE3, 255), (0xFE57571B, 255),
    (0xFF800000, 255), (0xFFC00000, 255),
]

@Test func float32InputsConvertLikeMLDtypes() {
    var failures: [String] = []
    for (bits, code) in mlDtypesE8M0 where ScaleFormat.encode(Double(Float(bitPattern: bits))) != code {
        failures.append("0x\(String(bits, radix: 16)): got \(ScaleFormat.encode(Double(Float(bitPattern: bits)))), want \(code)")
    }
    #expect(failures.isEmpty, "\(failures.prefix(5))")
}
