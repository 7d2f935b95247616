/* run_model.c - load a tilec artifact and run it, using only the runtime's C API.
 *
 *   tilec compile resnet50 -o resnet50.tilec
 *   cc examples/run_model.c -Iruntime/include -Lbuild/lib -ltilec_runtime -o run_model
 *   ./run_model resnet50.tilec
 *
 * Prints the model's inputs and outputs, runs it once on a constant input and
 * prints the index of the largest output value (the top class of a classifier).
 */
#include <tilec/runtime.h>

#include <stdio.h>
#include <stdlib.h>

static int64_t elements(const tilec_tensor_info *info) {
  int64_t n = 1;
  for (int32_t d = 0; d < info->rank; ++d)
    n *= info->shape[d];
  return n;
}

static int fail(tilec_status *status) {
  fprintf(stderr, "run_model: %s\n", tilec_status_message(status));
  tilec_status_free(status);
  return 1;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s <model.tilec>\n", argv[0]);
    return 2;
  }
  tilec_model *model = NULL;
  tilec_status *status = tilec_model_load(argv[1], NULL, &model);
  if (status)
    return fail(status);
  printf("%s for %s, %d threads\n", tilec_model_name(model), tilec_model_target(model),
         tilec_model_threads(model));

  size_t numInputs = tilec_model_num_inputs(model), numOutputs = tilec_model_num_outputs(model);
  tilec_tensor *inputs = calloc(numInputs, sizeof(tilec_tensor));
  tilec_tensor *outputs = calloc(numOutputs, sizeof(tilec_tensor));
  for (size_t i = 0; i < numInputs + numOutputs; ++i) {
    int isInput = i < numInputs;
    size_t index = isInput ? i : i - numInputs;
    tilec_tensor_info info;
    status = isInput ? tilec_model_input_info(model, index, &info)
                     : tilec_model_output_info(model, index, &info);
    if (status)
      return fail(status);
    float *data = malloc(sizeof(float) * (size_t)elements(&info));
    for (int64_t j = 0; j < elements(&info); ++j)
      data[j] = isInput ? 0.5f : 0.0f;
    tilec_tensor *t = isInput ? &inputs[index] : &outputs[index];
    t->data = data;
    t->dtype = TILEC_F32;
    t->rank = info.rank;
    t->shape = info.shape;
    printf("%s %s: %lld elements\n", isInput ? "input " : "output", info.name,
           (long long)elements(&info));
  }

  status = tilec_model_run(model, inputs, numInputs, outputs, numOutputs);
  if (status)
    return fail(status);
  tilec_tensor_info out;
  tilec_status_free(tilec_model_output_info(model, 0, &out));
  const float *y = outputs[0].data;
  int64_t best = 0;
  for (int64_t j = 1; j < elements(&out); ++j)
    if (y[j] > y[best])
      best = j;
  printf("largest output: index %lld (%g)\n", (long long)best, y[best]);

  for (size_t i = 0; i < numInputs; ++i)
    free(inputs[i].data);
  for (size_t i = 0; i < numOutputs; ++i)
    free(outputs[i].data);
  free(inputs);
  free(outputs);
  tilec_model_free(model);
  return 0;
}
