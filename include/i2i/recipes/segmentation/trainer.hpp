#pragma once
// Training and running a segmentation network (unet.hpp or any spec mapping images to class logits):
// Adam on the softmax cross-entropy between its logits and integer label maps, on any backend.
//
//   segmentation::trainer<segmentation::unet<3, 12>> t({.adam = {.lr = 1e-3}});   // cpu_backend<float>
//   segmentation::trainer<segmentation::unet<3, 12>, cuda_backend<float>> g(o);   // nvcc TU, cuda/backend.cuh
//   auto r = t.step(batch.image, batch.label);   // r.loss, r.pixel_accuracy on this batch (before the update)
//   t.net().eval();
//   tensor<float> ids = segmentation::predict(t.net(), images);   // N x 1 x H x W class ids
//
// Batches and predictions are host tensors: step() uploads a batch once (B::to_backend) and reads the
// logits back for the batch's pixel accuracy; argmax and accuracy are host loops (no backend op: they
// are reporting, not training). The loss is the backend's cross-entropy, the optimizer optim::adam<B>.
//
// Augmentation (flips) belongs to the data loader: data::batch_loader with transform.is_train draws a
// flip per sample and applies it to image and label alike.
#include <functional>
#include <cmath>
#include <cstdint>
#include <vector>

#include "i2i/backend/default_backend.hpp"
#include "i2i/core/dtype.hpp"
#include "i2i/core/error.hpp"
#include "i2i/core/tensor.hpp"
#include "i2i/core/threads.hpp"
#include "i2i/loss/loss_types.hpp"
#include "i2i/model/init.hpp"
#include "i2i/model/model.hpp"
#include "i2i/optim/adam.hpp"

namespace i2i::segmentation {

/// Per-pixel argmax over the channels of N x C x H x W logits: N x 1 x H x W class ids as floats
/// (ties go to the lower class, as torch.argmax).
template <cpu_scalar T>
tensor<T> argmax_labels(const tensor<T>& logits) {
  require<shape_error>(logits.defined() && logits.rank() == 4, "argmax_labels: logits have shape ", logits.shape(),
                       ", expected N x C x H x W");
  const std::int64_t n = logits.dim(0), c = logits.dim(1), hw = logits.dim(2) * logits.dim(3);
  auto out = tensor<T>::empty(shape::nchw(n, 1, logits.dim(2), logits.dim(3)));
  parallel_for(n * hw, 8192, [&](std::int64_t lo, std::int64_t hi) {
    for (std::int64_t i = lo; i < hi; ++i) {
      const T* x = logits.data() + (i / hw) * c * hw + i % hw;
      std::int64_t best = 0;
      for (std::int64_t k = 1; k < c; ++k)
        if (x[k * hw] > x[best * hw]) best = k;
      out[i] = T(best);
    }
  });
  return out;
}

/// Class ids the network predicts for host images (N x InputNC x H x W in [-1, 1]), on the host; runs
/// in the model's current mode (call eval() first for batch norm's running statistics).
template <class Model>
tensor<typename Model::T> predict(const Model& net, const tensor<typename Model::T>& images) {
  using B = typename Model::backend;
  return argmax_labels(B::to_host(net(B::to_backend(images))));
}

/// Correct / counted pixels of predicted ids against labels; pixels labelled ignore_index (>= 0) are
/// not counted. NaN when nothing is counted.
template <cpu_scalar T>
double batch_pixel_accuracy(const tensor<T>& predicted, const tensor<T>& labels, std::int64_t ignore_index = -1) {
  require<shape_error>(predicted.numel() == labels.numel(), "batch_pixel_accuracy: prediction ", predicted.shape(),
                       " and labels ", labels.shape(), " differ in size");
  std::int64_t hit = 0, counted = 0;
  for (std::int64_t i = 0; i < labels.numel(); ++i) {
    if (ignore_index >= 0 && double(labels[i]) == double(ignore_index)) continue;
    ++counted;
    hit += predicted[i] == labels[i];
  }
  return counted ? double(hit) / double(counted) : std::nan("");
}

struct train_options {
  /// Adam at 1e-3 with PyTorch's default betas: a segmenter is not a GAN (no 0.5 momentum needed).
  optim::adam_options adam{.lr = 1e-3, .beta1 = 0.9, .beta2 = 0.999};
  loss::cross_entropy_options loss{};
  std::uint64_t seed = 1;  ///< weights: PyTorch's default initialisation from this seed
};

struct step_result {
  double loss = 0;            ///< cross-entropy of this batch
  double pixel_accuracy = 0;  ///< of this batch's predictions (made before the update), counted pixels only
};

template <class Spec, class B = cpu_backend<float>>
class trainer {
 public:
  using backend = B;
  using net_type = model<Spec, backend>;

  // Adam holds references to the parameters' storage, so initialising after it is built is fine.
  explicit trainer(train_options o = {}) : opt_(std::move(o)), adam_(net_.parameters(), opt_.adam) {
    initialize(net_, init_policy::pytorch(), opt_.seed);
  }

  /// One Adam step on a host batch: images N x InputNC x H x W in [-1, 1], labels N x 1 x H x W class ids.
  step_result step(const tensor<typename backend::scalar>& images, const tensor<typename backend::scalar>& labels) {
    net_.train();
    auto ctx = net_.forward(backend::to_backend(images));
    const auto l = backend::cross_entropy_loss(ctx.output, backend::to_backend(labels), opt_.loss);
    step_result r{l.value,
                  batch_pixel_accuracy(argmax_labels(backend::to_host(ctx.output)), labels, opt_.loss.ignore_index)};
    adam_.zero_grad();
    if (last_backward_hook_) last_backward_hook_(net_.parameters());  // e.g. arms the overlapped all-reduce
    net_.backward(ctx, l.grad, {}, false);
    if (gradient_hook_) gradient_hook_(net_.parameters());  // e.g. the data-parallel all-reduce
    adam_.step();
    ++steps_;
    return r;
  }

  /// Called with the parameters after backward and before the update (data-parallel training averages
  /// the gradients over the ranks there, as train::gan_step::set_gradient_hook).
  void set_gradient_hook(std::function<void(const std::vector<optim::param_ref<typename backend::scalar>>&)> hook) {
    gradient_hook_ = std::move(hook);
  }
  /// Called with the parameters just before backward (data-parallel training arms its overlapped
  /// all-reduce there, as train::gan_step::set_last_backward_hook).
  void set_last_backward_hook(std::function<void(const std::vector<optim::param_ref<typename backend::scalar>>&)> hook) {
    last_backward_hook_ = std::move(hook);
  }

  net_type& net() { return net_; }
  const net_type& net() const { return net_; }
  optim::adam<backend>& optimizer() { return adam_; }
  std::int64_t steps() const { return steps_; }
  const train_options& options() const { return opt_; }

 private:
  train_options opt_;
  net_type net_;
  optim::adam<backend> adam_;
  std::function<void(const std::vector<optim::param_ref<typename backend::scalar>>&)> gradient_hook_;
  std::function<void(const std::vector<optim::param_ref<typename backend::scalar>>&)> last_backward_hook_;
  std::int64_t steps_ = 0;
};

}  // namespace i2i::segmentation
