// The gpu image's own CUDA toolkit, checked on real hardware: built inside the
// image by tools/gpu-probe-build (its nvcc, its cudart and cuBLAS, linked
// statically so the binary carries them), run on a GPU machine by
// tools/gpu-probe-run. Prints one JSON line; exit status 0 only when every
// result is right:
//   saxpy: a kernel (machine code for the GPU, or PTX the driver compiles)
//   sgemm: cublasSgemm against a CPU product (float32; pedantic math, no TF32);
//          not in the PTX build (PROBE_NO_CUBLAS), to keep it small
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>
#ifndef PROBE_NO_CUBLAS
#include <cublas_v2.h>
#endif
#include <cuda_runtime.h>

__global__ void saxpy(int n, float a, const float *x, float *y) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] = a * x[i] + y[i];
}

#define CHECK(call, what)                                                        \
  do {                                                                           \
    cudaError_t e_ = (call);                                                     \
    if (e_ != cudaSuccess) {                                                     \
      printf("{\"ok\": false, \"step\": \"%s\", \"error\": \"%s\"}\n", what,     \
             cudaGetErrorString(e_));                                            \
      return 1;                                                                  \
    }                                                                            \
  } while (0)

int main() {
  int driver = 0, runtime = 0, dev = 0;
  CHECK(cudaDriverGetVersion(&driver), "cudaDriverGetVersion");
  CHECK(cudaRuntimeGetVersion(&runtime), "cudaRuntimeGetVersion");
  CHECK(cudaSetDevice(dev), "cudaSetDevice");
  cudaDeviceProp prop;
  CHECK(cudaGetDeviceProperties(&prop, dev), "cudaGetDeviceProperties");

  // saxpy
  const int n = 1 << 20;
  std::vector<float> hx(n), hy(n, 1.0f);
  for (int i = 0; i < n; i++) hx[i] = float(i % 1000);
  float *x = nullptr, *y = nullptr;
  CHECK(cudaMalloc(&x, n * sizeof(float)), "cudaMalloc");
  CHECK(cudaMalloc(&y, n * sizeof(float)), "cudaMalloc");
  CHECK(cudaMemcpy(x, hx.data(), n * sizeof(float), cudaMemcpyHostToDevice), "memcpy");
  CHECK(cudaMemcpy(y, hy.data(), n * sizeof(float), cudaMemcpyHostToDevice), "memcpy");
  saxpy<<<(n + 255) / 256, 256>>>(n, 2.0f, x, y);
  CHECK(cudaGetLastError(), "saxpy launch");
  CHECK(cudaDeviceSynchronize(), "saxpy");
  CHECK(cudaMemcpy(hy.data(), y, n * sizeof(float), cudaMemcpyDeviceToHost), "memcpy");
  int bad = 0;
  for (int i = 0; i < n; i++)
    if (hy[i] != 2.0f * float(i % 1000) + 1.0f) bad++;

#ifdef PROBE_NO_CUBLAS
  bool ok = bad == 0;
  printf("{\"ok\": %s, \"device\": \"%s\", \"cc\": \"%d.%d\", \"driver_api\": %d, \"runtime\": %d, "
         "\"saxpy_mismatches\": %d}\n",
         ok ? "true" : "false", prop.name, prop.major, prop.minor, driver, runtime, bad);
  return ok ? 0 : 1;
#else
  // sgemm: C = A * B, column-major, m = k = nn
  const int nn = 512;
  std::vector<float> a(nn * nn), b(nn * nn), c(nn * nn), ref(nn * nn, 0.0f);
  srand(0);
  for (auto &v : a) v = float(rand()) / RAND_MAX - 0.5f;
  for (auto &v : b) v = float(rand()) / RAND_MAX - 0.5f;
  for (int j = 0; j < nn; j++)
    for (int p = 0; p < nn; p++)
      for (int i = 0; i < nn; i++) ref[i + j * nn] += a[i + p * nn] * b[p + j * nn];
  float *da, *db, *dc;
  CHECK(cudaMalloc(&da, a.size() * 4), "cudaMalloc");
  CHECK(cudaMalloc(&db, b.size() * 4), "cudaMalloc");
  CHECK(cudaMalloc(&dc, c.size() * 4), "cudaMalloc");
  CHECK(cudaMemcpy(da, a.data(), a.size() * 4, cudaMemcpyHostToDevice), "memcpy");
  CHECK(cudaMemcpy(db, b.data(), b.size() * 4, cudaMemcpyHostToDevice), "memcpy");
  cublasHandle_t h;
  cublasStatus_t st = cublasCreate(&h);
  if (st == CUBLAS_STATUS_SUCCESS) st = cublasSetMathMode(h, CUBLAS_PEDANTIC_MATH);
  const float one = 1.0f, zero = 0.0f;
  if (st == CUBLAS_STATUS_SUCCESS)
    st = cublasSgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, nn, nn, nn, &one, da, nn, db, nn, &zero, dc, nn);
  if (st != CUBLAS_STATUS_SUCCESS) {
    printf("{\"ok\": false, \"step\": \"cublas\", \"error\": \"status %d\"}\n", int(st));
    return 1;
  }
  CHECK(cudaDeviceSynchronize(), "sgemm");
  CHECK(cudaMemcpy(c.data(), dc, c.size() * 4, cudaMemcpyDeviceToHost), "memcpy");
  double err = 0, scale = 0;
  for (size_t i = 0; i < c.size(); i++) {
    err = std::fmax(err, std::fabs(double(c[i]) - ref[i]));
    scale = std::fmax(scale, std::fabs(double(ref[i])));
  }
  int cublas_version = 0;
  cublasGetVersion(h, &cublas_version);
  bool ok = bad == 0 && err <= 1e-4 * scale;
  printf("{\"ok\": %s, \"device\": \"%s\", \"cc\": \"%d.%d\", \"driver_api\": %d, \"runtime\": %d, "
         "\"cublas\": %d, \"saxpy_mismatches\": %d, \"sgemm_err\": %.3g, \"sgemm_scale\": %.3g}\n",
         ok ? "true" : "false", prop.name, prop.major, prop.minor, driver, runtime, cublas_version, bad,
         err, scale);
  return ok ? 0 : 1;
#endif
}
