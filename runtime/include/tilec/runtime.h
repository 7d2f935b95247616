/*===- tilec/runtime.h - load and run a compiled tilec model ---------------===
 *
 * The runtime's whole public surface, in C. It links neither MLIR nor LLVM nor a
 * GPU driver: CUDA is opened with dlopen when a CUDA artifact is loaded.
 *
 *   tilec_model *m;
 *   tilec_status *s = tilec_model_load("resnet50.tilec", NULL, &m);
 *   if (s) { fprintf(stderr, "%s\n", tilec_status_message(s)); tilec_status_free(s); }
 *   tilec_tensor in = {x, TILEC_F32, 4, shape}, out = {y, TILEC_F32, 2, oshape};
 *   s = tilec_model_run(m, &in, 1, &out, 1);
 *   tilec_model_free(m);
 *
 * Functions that can fail return a status: NULL on success, otherwise an
 * object with a code and a message (free it with tilec_status_free). A model
 * may be run from one thread at a time; its kernels use the model's own
 * thread pool.
 *===----------------------------------------------------------------------===*/

#ifndef TILEC_RUNTIME_H
#define TILEC_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define TILEC_API __attribute__((visibility("default")))
#else
#define TILEC_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef enum tilec_status_code {
  TILEC_OK = 0,
  TILEC_INVALID_ARGUMENT = 1, /* wrong shapes, dtypes, counts, null pointers */
  TILEC_NOT_FOUND = 2,        /* the artifact file does not exist */
  TILEC_BAD_ARTIFACT = 3,     /* not an artifact, truncated, damaged, other version */
  TILEC_WRONG_TARGET = 4,     /* compiled for a target this machine is not */
  TILEC_UNAVAILABLE = 5,      /* the target's driver or device is missing */
  TILEC_INTERNAL = 6,
} tilec_status_code;

typedef struct tilec_status tilec_status;
typedef struct tilec_model tilec_model;

TILEC_API tilec_status_code tilec_status_get_code(const tilec_status *status);
TILEC_API const char *tilec_status_message(const tilec_status *status);
TILEC_API void tilec_status_free(tilec_status *status);

/* Element types of model inputs and outputs. Models are f32 unless compiled
   from a graph whose arguments or results are 16-bit (bf16 / f16 values are
   their IEEE / bfloat16 bit patterns in uint16_t). */
typedef enum tilec_dtype { TILEC_F32 = 0, TILEC_BF16 = 1, TILEC_F16 = 2 } tilec_dtype;

typedef struct tilec_load_options {
  int32_t threads; /* CPU worker threads; 0 = all cores */
} tilec_load_options;

/* Loads an artifact written by `tilec compile`. `options` may be NULL. */
TILEC_API tilec_status *tilec_model_load(const char *path, const tilec_load_options *options,
                               tilec_model **model);
TILEC_API void tilec_model_free(tilec_model *model);

typedef struct tilec_tensor_info {
  const char *name;
  tilec_dtype dtype;
  int32_t rank;
  const int64_t *shape;
} tilec_tensor_info;

TILEC_API size_t tilec_model_num_inputs(const tilec_model *model);
TILEC_API size_t tilec_model_num_outputs(const tilec_model *model);
TILEC_API tilec_status *tilec_model_input_info(const tilec_model *model, size_t index,
                                     tilec_tensor_info *info);
TILEC_API tilec_status *tilec_model_output_info(const tilec_model *model, size_t index,
                                      tilec_tensor_info *info);
/* "cpu:sapphirerapids", "cuda:sm_90", ... and the model's name. */
TILEC_API const char *tilec_model_target(const tilec_model *model);
TILEC_API const char *tilec_model_name(const tilec_model *model);
TILEC_API int32_t tilec_model_threads(const tilec_model *model);
/* 1 when the model runs on a GPU (a `cuda:` / `rocm:` artifact), else 0. */
TILEC_API int32_t tilec_model_on_gpu(const tilec_model *model);
/* GPU models: how a run launches its kernels, e.g. "one CUDA graph of 58
 * kernels per run (captured on the first run)", or "58 kernels launched one
 * by one per run (no graph: <why>)"; "" for CPU models. Valid until the next
 * call for the same model or its free. */
TILEC_API const char *tilec_model_launches(tilec_model *model);

/* A caller's buffer: dense, row-major. */
typedef struct tilec_tensor {
  void *data;
  tilec_dtype dtype;
  int32_t rank;
  const int64_t *shape;
} tilec_tensor;

/* Runs the model once; shapes and dtypes must match the model's exactly. */
TILEC_API tilec_status *tilec_model_run(tilec_model *model, const tilec_tensor *inputs, size_t num_inputs,
                              const tilec_tensor *outputs, size_t num_outputs);

/* GPU artifacts: launches the model's kernels `runs` times on the inputs of
 * the last tilec_model_run (already on the device: nothing is copied either
 * way), each run between two device events and waited for; its time in
 * ms_per_run[i] (launch overhead included, copies not). TILEC_INVALID_ARGUMENT
 * for CPU artifacts and before a first run. */
TILEC_API tilec_status *tilec_model_time_on_device(tilec_model *model, int32_t runs,
                                                   double *ms_per_run);

/* Per-kernel timing, collected while profiling is on (off by default). */
TILEC_API void tilec_model_set_profiling(tilec_model *model, int enabled);
TILEC_API size_t tilec_model_num_kernels(const tilec_model *model);
typedef struct tilec_kernel_profile {
  const char *symbol;
  const char *signature; /* the dispatch signature (tuning database key) */
  const char *schedule;
  int64_t grid;
  int64_t calls;
  double total_ms;
} tilec_kernel_profile;
TILEC_API tilec_status *tilec_model_kernel_profile(const tilec_model *model, size_t index,
                                         tilec_kernel_profile *profile);

/* The GPU a `cuda:sm_NN` / `rocm:gfxNNN` artifact would run on: device 0's
 * name (e.g. "NVIDIA H100 80GB HBM3") into `name` (NUL-terminated, at most
 * `size` bytes). TILEC_UNAVAILABLE without the driver or a GPU,
 * TILEC_WRONG_TARGET when device 0 is older than the target. On GPUs,
 * per-kernel profiles are device-event times. */
TILEC_API tilec_status *tilec_gpu_device(const char *target, char *name, size_t size);

#ifdef __cplusplus
}
#endif

#endif /* TILEC_RUNTIME_H */
