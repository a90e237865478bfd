#!/usr/bin/python3
"""Golden fixtures for pix2pixHD: the reference PyTorch modules at small sizes, random weights, outputs.

Run with Debian's python3-torch (1.13):   /usr/bin/python3 tests/golden/make_fixtures.py [out_dir]
(default out_dir: tests/golden/fixtures next to this script). Deterministic: seed 2018, CPU only.

The modules below re-implement NVIDIA/pix2pixHD models/networks.py (GlobalGenerator, LocalEnhancer,
ResnetBlock, Encoder with instance-wise average pooling, NLayerDiscriminator with getIntermFeat,
MultiscaleDiscriminator, VGGLoss, GANLoss with LSGAN) layer for layer, from research/pix2pixhd.md §1-§2,
so every state_dict key is the official one. The official repository is not installable here. Weights
use the official weights_init (conv weights ~ N(0, 0.02), biases PyTorch's default uniform).

The reference outputs are computed in float64 from the float32 weights that are saved, so a float32
implementation that loads the files is compared with the exact function of those weights.

Files written (safetensors, F32, little-endian; the weight files hold the reference state_dict keys):
  global_G.safetensors     GlobalGenerator(5 -> 3, ngf 8, n_downsampling 2, n_blocks 2)
  local_G.safetensors      LocalEnhancer(5 -> 3, ngf 4, n_downsample_global 2, n_blocks_global 1,
                           n_local_enhancers 1, n_blocks_local 2)
  multiscale_D.safetensors MultiscaleDiscriminator(8, ndf 4, n_layers 3, num_D 2, getIntermFeat)
  encoder.safetensors      Encoder(3 -> 3, ngf (nef) 4, n_downsampling 2)
  vgg_small.safetensors    a torchvision-layout vgg19().features[:30] with narrow widths (4, 8, 8, 8, 8
                           instead of 64 ... 512): keys features.{0,2,5,...,28}; the loss formula of
                           VGGLoss (weights 1/32 ... 1, L1, no input normalisation) is what is checked
  local_G.pth              torch.save(local_G.state_dict()), the input of the convert_pth.py test
  golden_io.safetensors    inputs and outputs:
    input_label                  1x5x32x64: one-hot(label_nc 4) | boundary map of an instance map
                                 (8x8 label tiles, split in 4x4 instance tiles)
    real_image                   1x3x32x64 in [-1, 1]
    global_G.out, local_G.out    1x3x32x64
    D_real.scale{k}.layer{j}     every output of every scale of D(cat(input_label, real_image));
    D_fake.scale{k}.layer{j}     ... and of D(cat(input_label, global_G.out)); k = the reference's scale
                                 index (scale{num_D-1} sees full resolution), j = 0..4 (4 = final map)
    E.image, E.inst              2x3x32x64 and 2x1x32x64 (ids shared across the batch and missing in one)
    E.out                        2x3x32x64: Encoder(E.image, E.inst) after instance-wise pooling
    loss.D_fake, loss.D_real, loss.G_GAN, loss.G_GAN_Feat, loss.G_VGG, loss.G, loss.D
                                 (shape [1]) the first training step's losses with fake = global_G.out,
                                 no image pool, lambda_feat 10 (pix2pixHD_model.py forward + train.py)
    after_step.global_G.out      G's output after that step's Adam(2e-4, 0.5, 0.999) update of G
    after_step.D_real.scale{k}.layer4  D's final maps on the real pair after D's update
"""
import json
from collections import OrderedDict
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn

SEED = 2018
LABEL_NC = 4
H, W = 32, 64


# ----------------------------------------------------------------------------- reference modules
def norm_layer(c):
    return nn.InstanceNorm2d(c, affine=False)


class ResnetBlock(nn.Module):
    def __init__(self, dim, activation=nn.ReLU(True)):
        super().__init__()
        self.conv_block = nn.Sequential(
            nn.ReflectionPad2d(1), nn.Conv2d(dim, dim, kernel_size=3, padding=0), norm_layer(dim), activation,
            nn.ReflectionPad2d(1), nn.Conv2d(dim, dim, kernel_size=3, padding=0), norm_layer(dim))

    def forward(self, x):
        return x + self.conv_block(x)


class GlobalGenerator(nn.Module):
    def __init__(self, input_nc, output_nc, ngf=64, n_downsampling=3, n_blocks=9):
        super().__init__()
        activation = nn.ReLU(True)
        model = [nn.ReflectionPad2d(3), nn.Conv2d(input_nc, ngf, kernel_size=7, padding=0), norm_layer(ngf), activation]
        for i in range(n_downsampling):
            mult = 2 ** i
            model += [nn.Conv2d(ngf * mult, ngf * mult * 2, kernel_size=3, stride=2, padding=1),
                      norm_layer(ngf * mult * 2), activation]
        mult = 2 ** n_downsampling
        for i in range(n_blocks):
            model += [ResnetBlock(ngf * mult, activation=activation)]
        for i in range(n_downsampling):
            mult = 2 ** (n_downsampling - i)
            model += [nn.ConvTranspose2d(ngf * mult, int(ngf * mult / 2), kernel_size=3, stride=2, padding=1,
                                         output_padding=1),
                      norm_layer(int(ngf * mult / 2)), activation]
        model += [nn.ReflectionPad2d(3), nn.Conv2d(ngf, output_nc, kernel_size=7, padding=0), nn.Tanh()]
        self.model = nn.Sequential(*model)

    def forward(self, x):
        return self.model(x)


class LocalEnhancer(nn.Module):
    def __init__(self, input_nc, output_nc, ngf=32, n_downsample_global=3, n_blocks_global=9,
                 n_local_enhancers=1, n_blocks_local=3):
        super().__init__()
        self.n_local_enhancers = n_local_enhancers
        ngf_global = ngf * (2 ** n_local_enhancers)
        model_global = GlobalGenerator(input_nc, output_nc, ngf_global, n_downsample_global, n_blocks_global).model
        model_global = [model_global[i] for i in range(len(model_global) - 3)]  # drop the final convolution layers
        self.model = nn.Sequential(*model_global)
        for n in range(1, n_local_enhancers + 1):
            ngf_global = ngf * (2 ** (n_local_enhancers - n))
            model_downsample = [nn.ReflectionPad2d(3), nn.Conv2d(input_nc, ngf_global, kernel_size=7, padding=0),
                                norm_layer(ngf_global), nn.ReLU(True),
                                nn.Conv2d(ngf_global, ngf_global * 2, kernel_size=3, stride=2, padding=1),
                                norm_layer(ngf_global * 2), nn.ReLU(True)]
            model_upsample = []
            for i in range(n_blocks_local):
                model_upsample += [ResnetBlock(ngf_global * 2)]
            model_upsample += [nn.ConvTranspose2d(ngf_global * 2, ngf_global, kernel_size=3, stride=2, padding=1,
                                                  output_padding=1),
                               norm_layer(ngf_global), nn.ReLU(True)]
            if n == n_local_enhancers:
                model_upsample += [nn.ReflectionPad2d(3), nn.Conv2d(ngf, output_nc, kernel_size=7, padding=0), nn.Tanh()]
            setattr(self, 'model' + str(n) + '_1', nn.Sequential(*model_downsample))
            setattr(self, 'model' + str(n) + '_2', nn.Sequential(*model_upsample))
        self.downsample = nn.AvgPool2d(3, stride=2, padding=[1, 1], count_include_pad=False)

    def forward(self, x):
        input_downsampled = [x]
        for i in range(self.n_local_enhancers):
            input_downsampled.append(self.downsample(input_downsampled[-1]))
        output_prev = self.model(input_downsampled[-1])
        for n in range(1, self.n_local_enhancers + 1):
            model_downsample = getattr(self, 'model' + str(n) + '_1')
            model_upsample = getattr(self, 'model' + str(n) + '_2')
            input_i = input_downsampled[self.n_local_enhancers - n]
            output_prev = model_upsample(model_downsample(input_i) + output_prev)
        return output_prev


class Encoder(nn.Module):
    def __init__(self, input_nc, output_nc, ngf=32, n_downsampling=4):
        super().__init__()
        self.output_nc = output_nc
        model = [nn.ReflectionPad2d(3), nn.Conv2d(input_nc, ngf, kernel_size=7, padding=0), norm_layer(ngf), nn.ReLU(True)]
        for i in range(n_downsampling):
            mult = 2 ** i
            model += [nn.Conv2d(ngf * mult, ngf * mult * 2, kernel_size=3, stride=2, padding=1),
                      norm_layer(ngf * mult * 2), nn.ReLU(True)]
        for i in range(n_downsampling):
            mult = 2 ** (n_downsampling - i)
            model += [nn.ConvTranspose2d(ngf * mult, int(ngf * mult / 2), kernel_size=3, stride=2, padding=1,
                                         output_padding=1),
                      norm_layer(int(ngf * mult / 2)), nn.ReLU(True)]
        model += [nn.ReflectionPad2d(3), nn.Conv2d(ngf, output_nc, kernel_size=7, padding=0), nn.Tanh()]
        self.model = nn.Sequential(*model)

    def forward(self, x, inst):
        outputs = self.model(x)
        # instance-wise average pooling, as the reference loops it
        outputs_mean = outputs.clone()
        inst_list = np.unique(inst.cpu().numpy().astype(int))
        for i in inst_list:
            for b in range(x.size()[0]):
                indices = (inst[b:b + 1] == int(i)).nonzero()  # n x 4
                for j in range(self.output_nc):
                    output_ins = outputs[indices[:, 0] + b, indices[:, 1] + j, indices[:, 2], indices[:, 3]]
                    mean_feat = torch.mean(output_ins).expand_as(output_ins)
                    outputs_mean[indices[:, 0] + b, indices[:, 1] + j, indices[:, 2], indices[:, 3]] = mean_feat
        return outputs_mean


class NLayerDiscriminator(nn.Module):
    def __init__(self, input_nc, ndf=64, n_layers=3, getIntermFeat=True):
        super().__init__()
        self.getIntermFeat = getIntermFeat
        self.n_layers = n_layers
        kw = 4
        padw = int(np.ceil((kw - 1.0) / 2))
        sequence = [[nn.Conv2d(input_nc, ndf, kernel_size=kw, stride=2, padding=padw), nn.LeakyReLU(0.2, True)]]
        nf = ndf
        for n in range(1, n_layers):
            nf_prev = nf
            nf = min(nf * 2, 512)
            sequence += [[nn.Conv2d(nf_prev, nf, kernel_size=kw, stride=2, padding=padw), norm_layer(nf),
                          nn.LeakyReLU(0.2, True)]]
        nf_prev = nf
        nf = min(nf * 2, 512)
        sequence += [[nn.Conv2d(nf_prev, nf, kernel_size=kw, stride=1, padding=padw), norm_layer(nf),
                      nn.LeakyReLU(0.2, True)]]
        sequence += [[nn.Conv2d(nf, 1, kernel_size=kw, stride=1, padding=padw)]]
        assert getIntermFeat
        for n in range(len(sequence)):
            setattr(self, 'model' + str(n), nn.Sequential(*sequence[n]))

    def forward(self, x):
        res = [x]
        for n in range(self.n_layers + 2):
            res.append(getattr(self, 'model' + str(n))(res[-1]))
        return res[1:]


class MultiscaleDiscriminator(nn.Module):
    def __init__(self, input_nc, ndf=64, n_layers=3, num_D=3, getIntermFeat=True):
        super().__init__()
        self.num_D = num_D
        self.n_layers = n_layers
        self.getIntermFeat = getIntermFeat
        for i in range(num_D):
            netD = NLayerDiscriminator(input_nc, ndf, n_layers, getIntermFeat)
            for j in range(n_layers + 2):
                setattr(self, 'scale' + str(i) + '_layer' + str(j), getattr(netD, 'model' + str(j)))
        self.downsample = nn.AvgPool2d(3, stride=2, padding=[1, 1], count_include_pad=False)

    def singleD_forward(self, model, x):
        result = [x]
        for i in range(len(model)):
            result.append(model[i](result[-1]))
        return result[1:]

    def forward(self, x):
        num_D = self.num_D
        result = []
        input_downsampled = x
        for i in range(num_D):
            model = [getattr(self, 'scale' + str(num_D - 1 - i) + '_layer' + str(j)) for j in range(self.n_layers + 2)]
            result.append(self.singleD_forward(model, input_downsampled))
            if i != (num_D - 1):
                input_downsampled = self.downsample(input_downsampled)
        return result


class SmallVgg19(nn.Module):
    """torchvision vgg19().features[:30] (relu1_1 .. relu5_1 slices of pix2pixHD's Vgg19) with narrow widths."""
    WIDTHS = (4, 8, 8, 8, 8)

    def __init__(self):
        super().__init__()
        w1, w2, w3, w4, w5 = self.WIDTHS
        cfg = [w1, w1, 'M', w2, w2, 'M', w3, w3, w3, w3, 'M', w4, w4, w4, w4, 'M', w5]
        layers, c = [], 3
        for v in cfg:
            if v == 'M':
                layers += [nn.MaxPool2d(kernel_size=2, stride=2)]
            else:
                layers += [nn.Conv2d(c, v, kernel_size=3, padding=1), nn.ReLU(inplace=True)]
                c = v
        self.features = nn.Sequential(*layers)
        # pix2pixHD's Vgg19 slices: [0,2), [2,7), [7,12), [12,21), [21,30)
        self.cuts = [(0, 2), (2, 7), (7, 12), (12, 21), (21, 30)]

    def forward(self, x):
        out = []
        for a, b in self.cuts:
            for k in range(a, b):
                x = self.features[k](x)
            out.append(x)
        return out


class VGGLoss(nn.Module):
    def __init__(self, vgg):
        super().__init__()
        self.vgg = vgg
        self.criterion = nn.L1Loss()
        self.weights = [1.0 / 32, 1.0 / 16, 1.0 / 8, 1.0 / 4, 1.0]

    def forward(self, x, y):
        x_vgg, y_vgg = self.vgg(x), self.vgg(y)
        loss = 0
        for i in range(len(x_vgg)):
            loss += self.weights[i] * self.criterion(x_vgg[i], y_vgg[i].detach())
        return loss


class GANLoss(nn.Module):
    """LSGAN (use_lsgan=True): MSE against a constant target, summed over the scales' final maps."""

    def __init__(self):
        super().__init__()
        self.loss = nn.MSELoss()

    def __call__(self, input, target_is_real):
        loss = 0
        for input_i in input:
            pred = input_i[-1]
            target = torch.full_like(pred, 1.0 if target_is_real else 0.0)
            loss += self.loss(pred, target)
        return loss


def weights_init(m):
    classname = m.__class__.__name__
    if classname.find('Conv') != -1:
        m.weight.data.normal_(0.0, 0.02)
    elif classname.find('BatchNorm2d') != -1:
        m.weight.data.normal_(1.0, 0.02)
        m.bias.data.fill_(0)


# ----------------------------------------------------------------------------- inputs
def boundary_map(inst):
    """pix2pixHD get_edges: 1 where a pixel differs from a 4-neighbour (both pixels of each pair)."""
    edge = torch.zeros_like(inst, dtype=torch.bool)
    dx = inst[:, :, :, 1:] != inst[:, :, :, :-1]
    dy = inst[:, :, 1:, :] != inst[:, :, :-1, :]
    edge[:, :, :, 1:] |= dx
    edge[:, :, :, :-1] |= dx
    edge[:, :, 1:, :] |= dy
    edge[:, :, :-1, :] |= dy
    return edge.to(inst.dtype)


def blocky_map(gen, n, h, w, block, high):
    """Integer ids constant on block x block tiles (like segmentation regions), as float."""
    coarse = torch.randint(0, high, (n, 1, h // block, w // block), generator=gen)
    return coarse.repeat_interleave(block, 2).repeat_interleave(block, 3).to(torch.float64)


def smooth_image(gen, n, h, w):
    coarse = torch.rand((n, 3, h // 4, w // 4), generator=gen, dtype=torch.float64) * 2 - 1
    img = nn.functional.interpolate(coarse, size=(h, w), mode='bilinear', align_corners=False)
    return (img + 0.05 * torch.randn((n, 3, h, w), generator=gen, dtype=torch.float64)).clamp(-1, 1)


# ----------------------------------------------------------------------------- safetensors
def save_safetensors(path, tensors):
    """tensors: ordered list of (name, tensor); written as F32."""
    header, blobs, offset = {}, [], 0
    for name, t in tensors:
        a = np.ascontiguousarray(t.detach().cpu().to(torch.float32).numpy()).astype('<f4')
        b = a.tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header, separators=(',', ':')).encode('utf-8')
    h += b' ' * ((8 - len(h) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def weights_as_saved(module):
    """Rounds every parameter to float32 (what is saved), then computes in float64 from those values."""
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(p.to(torch.float32).to(torch.float64))
    return module


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, 'fixtures')
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(SEED)
    torch.set_default_dtype(torch.float64)
    gen = torch.Generator().manual_seed(SEED)

    global_G = GlobalGenerator(LABEL_NC + 1, 3, ngf=8, n_downsampling=2, n_blocks=2)
    local_G = LocalEnhancer(LABEL_NC + 1, 3, ngf=4, n_downsample_global=2, n_blocks_global=1,
                            n_local_enhancers=1, n_blocks_local=2)
    D = MultiscaleDiscriminator(LABEL_NC + 1 + 3, ndf=4, n_layers=3, num_D=2)
    E = Encoder(3, 3, ngf=4, n_downsampling=2)
    vgg = SmallVgg19()
    for m in (global_G, local_G, D, E, vgg):
        m.apply(weights_init)
        weights_as_saved(m)
        m.eval()  # no dropout / BN anywhere; InstanceNorm without running stats behaves the same
    for p in vgg.parameters():  # the loss network is frozen, as in pix2pixHD
        p.requires_grad = False
    # The VGG's N(0, 0.02) conv weights would shrink relu5_1 to nothing; give it a larger scale so every
    # layer contributes to the loss.
    with torch.no_grad():
        for m in vgg.features:
            if isinstance(m, nn.Conv2d):
                m.weight.normal_(0.0, (2.0 / (m.in_channels * 9)) ** 0.5)
        weights_as_saved(vgg)

    # The weights as initialised (before the training step below changes G's and D's).
    for name, m in (('global_G', global_G), ('local_G', local_G), ('multiscale_D', D), ('encoder', E),
                    ('vgg_small', vgg)):
        save_safetensors(os.path.join(out, name + '.safetensors'), list(m.state_dict().items()))

    # Inputs: a label map and an instance map refining it (two instances per class region at most).
    label_map = blocky_map(gen, 1, H, W, 8, LABEL_NC)
    inst_map = label_map * 1000 + blocky_map(gen, 1, H, W, 4, 2)
    one_hot = torch.zeros(1, LABEL_NC, H, W).scatter_(1, label_map.long(), 1.0)
    input_label = torch.cat([one_hot, boundary_map(inst_map)], 1)
    real_image = smooth_image(gen, 1, H, W)

    io = [('input_label', input_label), ('real_image', real_image)]

    # Generators
    fake = global_G(input_label)
    with torch.no_grad():
        io.append(('global_G.out', fake))
        io.append(('local_G.out', local_G(input_label)))

    # D, all taps of both scales, on the real and on the fake pair
    pred_real = D(torch.cat([input_label, real_image], 1))
    pred_fake = D(torch.cat([input_label, fake], 1))
    for tag, pred in (('D_real', pred_real), ('D_fake', pred_fake)):
        for i, outs in enumerate(pred):
            k = D.num_D - 1 - i
            for j, t in enumerate(outs):
                io.append((f'{tag}.scale{k}.layer{j}', t.detach()))

    # Encoder with instance-wise pooling: batch 2; ids 0..5, id 5 only in sample 0, id 0 only in sample 1.
    e_image = smooth_image(gen, 2, H, W)
    e_inst = blocky_map(gen, 2, H, W, 8, 5)
    e_inst[0, 0, :8, :8] = 5
    e_inst[1][e_inst[1] == 0] = 1
    e_inst[1, 0, 8:16, 0:8] = 0
    with torch.no_grad():
        e_out = E(e_image, e_inst)
    io += [('E.image', e_image), ('E.inst', e_inst), ('E.out', e_out)]

    # The first training step's losses (pix2pixHD_model.forward, no pool, LSGAN, lambda_feat 10)
    criterionGAN, criterionFeat, criterionVGG = GANLoss(), nn.L1Loss(), VGGLoss(vgg)
    lambda_feat, n_layers_D, num_D = 10.0, 3, D.num_D
    pred_fake_pool = D(torch.cat([input_label, fake.detach()], 1))
    loss_D_fake = criterionGAN(pred_fake_pool, False)
    pred_real = D(torch.cat([input_label, real_image.detach()], 1))
    loss_D_real = criterionGAN(pred_real, True)
    pred_fake = D(torch.cat([input_label, fake], 1))
    loss_G_GAN = criterionGAN(pred_fake, True)
    loss_G_GAN_Feat = 0
    feat_weights = 4.0 / (n_layers_D + 1)
    D_weights = 1.0 / num_D
    for i in range(num_D):
        for j in range(len(pred_fake[i]) - 1):
            loss_G_GAN_Feat += D_weights * feat_weights * criterionFeat(pred_fake[i][j], pred_real[i][j].detach()) * lambda_feat
    loss_G_VGG = criterionVGG(fake, real_image) * lambda_feat
    loss_D = (loss_D_fake + loss_D_real) * 0.5
    loss_G = loss_G_GAN + loss_G_GAN_Feat + loss_G_VGG
    # ... and the step itself (train.py): Adam(2e-4, 0.5, 0.999) on G with loss_G, then on D with loss_D.
    optimizer_G = torch.optim.Adam(global_G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    optimizer_D = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    optimizer_G.zero_grad()
    loss_G.backward()
    optimizer_G.step()
    optimizer_D.zero_grad()
    loss_D.backward()
    optimizer_D.step()
    with torch.no_grad():
        io.append(('after_step.global_G.out', global_G(input_label)))
        after = D(torch.cat([input_label, real_image], 1))
        io.append((f'after_step.D_real.scale{D.num_D - 1}.layer4', after[0][-1]))
        io.append(('after_step.D_real.scale0.layer4', after[-1][-1]))
    for name, v in (('D_fake', loss_D_fake), ('D_real', loss_D_real), ('G_GAN', loss_G_GAN),
                    ('G_GAN_Feat', loss_G_GAN_Feat), ('G_VGG', loss_G_VGG), ('G', loss_G), ('D', loss_D)):
        io.append(('loss.' + name, v.detach().reshape(1)))
        print(f'loss.{name} = {v.item():.9g}')

    save_safetensors(os.path.join(out, 'golden_io.safetensors'), io)
    torch.save(OrderedDict((k, v.to(torch.float32)) for k, v in local_G.state_dict().items()),
               os.path.join(out, 'local_G.pth'))
    total = sum(os.path.getsize(os.path.join(out, f)) for f in os.listdir(out))
    print(f'wrote {len(os.listdir(out))} files, {total} bytes, to {out}')


if __name__ == '__main__':
    main()
