// Extensions every dsinfer compute shader uses: 8/16-bit storage and arithmetic types.
#extension GL_EXT_shader_8bit_storage : require
#extension GL_EXT_shader_16bit_storage : require
#extension GL_EXT_shader_explicit_arithmetic_types_int8 : require
#extension GL_EXT_shader_explicit_arithmetic_types_int16 : require
#extension GL_EXT_shader_explicit_arithmetic_types_float16 : require
#extension GL_EXT_control_flow_attributes : enable

// Rounds through IEEE half precision (as the CPU path does for the KV cache's type).
float round_f16(float v) { return float(float16_t(v)); }
