// expect: no_onnx_exporter<unexportable_layer>
// A network with a layer that has no ONNX exporter does not compile, and the error names the layer.
#include "i2i/backend/cpu/backend.hpp"
#include "i2i/onnx/export.hpp"

struct unexportable_layer {
  static constexpr int in_channels = i2i::any_channels;
  static constexpr int out_channels(int in) { return in; }
  template <int In, class B>
  struct instance : i2i::spec_detail::shape_preserving {
    using T = typename B::scalar;
    struct context {};
    std::string path;
    explicit instance(const i2i::build_context<T>& bc) : path(bc.path) {}
    i2i::tensor<T> forward(const i2i::tensor<T>& x, context&, i2i::run_state<T>&) const { return x; }
    i2i::tensor<T> backward(const context&, const i2i::tensor<T>& dy, i2i::run_state<T>&, bool) { return dy; }
  };
};

void export_it() {
  i2i::model<i2i::seq<i2i::channels<3>, i2i::conv<4, 3>, unexportable_layer>, i2i::cpu_backend<float>> m;
  i2i::onnx::export_model(m, i2i::shape::nchw(1, 3, 8, 8), "never.onnx");
}
