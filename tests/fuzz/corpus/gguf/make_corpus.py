#!/usr/bin/env python3
# Writes the hand-made GGUF corpus next to this script: ok_*.gguf (small valid files, seeds for
# the fuzzer) and bad_*.gguf (one corruption class each). The files are committed; rerun this
# only to change them. Run: python3 tests/fuzz/corpus/gguf/make_corpus.py
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
F32, F16, Q8_0, Q4_K = 0, 1, 8, 12
U8, I8, U16, I16, U32, I32, F32V, BOOL, STR, ARR, U64, I64, F64 = range(13)


class G:
    def __init__(self):
        self.b = bytearray()

    def raw(self, data):
        self.b += data
        return self

    def u32(self, v):
        return self.raw(struct.pack('<I', v))

    def u64(self, v):
        return self.raw(struct.pack('<Q', v))

    def i64(self, v):
        return self.raw(struct.pack('<q', v))

    def s(self, text):
        data = text.encode() if isinstance(text, str) else text
        return self.u64(len(data)).raw(data)

    def header(self, n_tensors, n_kv, version=3, magic=b'GGUF'):
        return self.raw(magic).u32(version).u64(n_tensors).u64(n_kv)

    def kv_str(self, k, v):
        return self.s(k).u32(STR).s(v)

    def kv_u32(self, k, v):
        return self.s(k).u32(U32).u32(v)

    def tensor(self, name, dims, typ, offset):
        self.s(name).u32(len(dims))
        for d in dims:
            self.i64(d)
        return self.u32(typ).u64(offset)

    def pad(self, a=32):
        while len(self.b) % a:
            self.b.append(0)
        return self

    def zeros(self, n):
        return self.raw(bytes(n))


def small_model(version=3):
    g = G().header(3, 8, version)
    g.kv_str('general.architecture', 'llama').kv_u32('llama.block_count', 1)
    g.kv_u32('llama.embedding_length', 32).kv_u32('llama.attention.head_count', 2)
    g.s('tokenizer.ggml.tokens').u32(ARR).u32(STR).u64(3).s('a').s('b').s('<s>')
    g.s('tokenizer.ggml.scores').u32(ARR).u32(F32V).u64(3).raw(struct.pack('<3f', 0, -1, -2))
    g.s('nested').u32(ARR).u32(ARR).u64(2)
    g.u32(I32).u64(2).raw(struct.pack('<2i', 1, -1)).u32(BOOL).u64(1).raw(b'\x01')
    g.s('mixed.f64').u32(F64).raw(struct.pack('<d', 0.5))
    g.tensor('token_embd.weight', [32, 3], F16, 0)
    g.tensor('blk.0.attn_q.weight', [32, 2], Q8_0, 192)
    g.tensor('output_norm.weight', [32], F32, 288)
    g.pad()
    g.raw(bytes(range(192)))  # token_embd: 192 bytes
    g.raw(bytes([1] * 68)).pad()  # q8_0: 2 blocks of 34 bytes, then padding to 288
    g.raw(struct.pack('<32f', *([1.0] * 32)))
    return g


def one_tensor(n=8, offset=0, typ=F32, dims=None):
    g = G().header(1, 1).kv_str('general.architecture', 'llama')
    return g.tensor('w', dims or [n], typ, offset).pad()


def cases():
    yield 'ok_small_v3', small_model(3)
    yield 'ok_small_v2', small_model(2)
    yield 'ok_vocab_only', G().header(0, 2).kv_str('tokenizer.ggml.model', 'gpt2').s(
        'tokenizer.ggml.tokens').u32(ARR).u32(STR).u64(2).s('x').s('y')
    yield 'ok_alignment_64', G().header(1, 1).kv_u32('general.alignment', 64).tensor(
        'w', [16], F32, 0).pad(64).zeros(64)
    yield 'bad_magic', G().header(0, 0, magic=b'GGML')
    yield 'bad_empty', G()
    yield 'bad_version_1', G().header(0, 0, 1)
    yield 'bad_version_99', G().header(0, 0, 99)
    yield 'bad_big_endian', G().header(0, 0, 0x03000000)
    yield 'bad_truncated_header', G().raw(b'GGUF').u32(3).raw(b'\0\0')
    yield 'bad_huge_tensor_count', G().header(1 << 60, 0)
    yield 'bad_huge_kv_count', G().header(0, 1 << 62)
    yield 'bad_key_length', G().header(0, 1).u64(1 << 40).raw(b'k')
    yield 'bad_string_length', G().header(0, 1).s('general.name').u32(STR).u64(1 << 50)
    yield 'bad_array_length', G().header(0, 1).s('tokenizer.ggml.tokens').u32(ARR).u32(
        STR).u64(1 << 40).zeros(16)
    yield 'bad_array_truncated', G().header(0, 1).s('scores').u32(ARR).u32(F32V).u64(4).zeros(10)
    yield 'bad_value_type', G().header(0, 1).s('k').u32(13).u32(0)
    yield 'bad_array_elem_type', G().header(0, 1).s('k').u32(ARR).u32(77).u64(1).u32(0)
    g = G().header(0, 1).s('k').u32(ARR)
    for _ in range(40):
        g.u32(ARR).u64(1)
    yield 'bad_nested_too_deep', g.u32(U8).u64(0)
    yield 'bad_truncated_value', G().header(0, 1).s('general.alignment').u32(U32).raw(b'\x20')
    yield 'bad_duplicate_key', G().header(0, 2).kv_u32('a', 1).kv_u32('a', 2)
    yield 'bad_alignment', G().header(0, 1).kv_u32('general.alignment', 48)
    yield 'bad_alignment_zero', G().header(0, 1).kv_u32('general.alignment', 0)
    g = G().header(1, 0).s('w').u32(5)
    for _ in range(5):
        g.i64(1)
    yield 'bad_too_many_dims', g.u32(F32).u64(0).pad().zeros(32)
    yield 'bad_negative_dim', G().header(1, 0).tensor('w', [4, -4], F32, 0).pad().zeros(64)
    yield 'bad_dim_overflow', G().header(1, 0).tensor('w', [1 << 32, 1 << 30, 4], F32, 0).pad()
    yield 'bad_dim_overflow_zero', G().header(1, 0).tensor('w', [0, 1 << 40, 1 << 40], F32, 0).pad()
    yield 'bad_byte_overflow', G().header(1, 0).tensor('w', [1 << 62], F32, 0).pad()
    yield 'bad_unknown_type', G().header(1, 0).tensor('w', [8], 4, 0).pad().zeros(32)
    yield 'bad_type_far', G().header(1, 0).tensor('w', [8], 0xffffffff, 0).pad().zeros(32)
    yield 'bad_block_multiple', G().header(1, 0).tensor('w', [33, 2], Q8_0, 0).pad().zeros(128)
    yield 'bad_duplicate_tensor', G().header(2, 0).tensor('w', [8], F32, 0).tensor(
        'w', [8], F32, 32).pad().zeros(64)
    yield 'bad_out_of_bounds', one_tensor(64).zeros(100)
    yield 'bad_offset_far', one_tensor(8, 1 << 40).zeros(32)
    g = one_tensor(8)
    g.b = g.b[:-5]
    yield 'bad_truncated_data', g
    yield 'bad_misaligned', one_tensor(8, 4).zeros(64)
    yield 'bad_overlap', G().header(2, 0).tensor('a', [16], F32, 0).tensor(
        'b', [16], F32, 32).pad().zeros(128)
    yield 'bad_truncated_tensor_table', G().header(2, 0).tensor('a', [16], F32, 0).s('b')
    yield 'bad_q4k_truncated', one_tensor(typ=Q4_K, dims=[256, 4]).zeros(144 * 3)


def main():
    for name, g in cases():
        with open(os.path.join(HERE, name + '.gguf'), 'wb') as f:
            f.write(bytes(g.b))


if __name__ == '__main__':
    main()
