"""The models of D2L's CNN chapters (LeNet, AlexNet, VGG, NiN, GoogLeNet, batch normalization,
ResNet/ResNeXt, DenseNet), written once for any torch-like library.

``cnn_models(lib)`` returns builders made with ``lib`` (``torch`` or ``d2lmods``), so the same
code is compared between the two. Each builder takes ``lazy``: ``True`` gives the book's code
(``nn.LazyConv2d``, ``nn.LazyBatchNorm2d``, ``nn.LazyLinear``), ``False`` the same network with
every input size written out (``nn.Conv2d(1, 6, ...)``), for an input of ``size`` x ``size``
pixels where the flattened size depends on it. The models subclass ``nn.Module`` with a
``self.net`` and ``forward = self.net(X)``, as the book's ``d2l.Classifier`` does.
"""


def _side(size, *layers):
    """Height after (kernel, stride, padding) layers, as conv/pool output sizes are computed."""
    for k, s, p in layers:
        size = (size + 2 * p - k) // s + 1
    return size


def layer_summary(lib, model, X_shape):
    """d2l.Classifier.layer_summary: each top-level layer's output shape, as the book prints
    them (returned as lines)."""
    X = lib.randn(*X_shape)
    lines = []
    for layer in model.net:
        X = layer(X)
        lines.append(f"{layer.__class__.__name__} output shape:\t {X.shape}")
    return lines


def cnn_models(lib):
    nn = lib.nn
    F = lib.nn.functional

    class Layers:
        """``nn.LazyX(out, ...)`` or ``nn.X(in, out, ...)``: the only place the variants differ."""

        def __init__(self, lazy):
            self.lazy = lazy

        def conv(self, cin, cout, **kw):
            return nn.LazyConv2d(cout, **kw) if self.lazy else nn.Conv2d(cin, cout, **kw)

        def linear(self, fin, fout):
            return nn.LazyLinear(fout) if self.lazy else nn.Linear(fin, fout)

        def bn2d(self, c):
            return nn.LazyBatchNorm2d() if self.lazy else nn.BatchNorm2d(c)

        def bn1d(self, c):
            return nn.LazyBatchNorm1d() if self.lazy else nn.BatchNorm1d(c)

    def init_cnn(module):
        """d2l.init_cnn: Xavier weights (a no-op on lazy layers, which are not yet Conv2d)."""
        if type(module) == nn.Linear or type(module) == nn.Conv2d:  # noqa: E721 (the book's test)
            nn.init.xavier_uniform_(module.weight)

    class Classifier(nn.Module):
        def forward(self, X):
            return self.net(X)

    # ------------------------------------------------------------------ 7.6 LeNet
    class LeNet(Classifier):
        def __init__(self, lazy=True, num_classes=10, size=28):
            super().__init__()
            L = Layers(lazy)
            s = _side(size, (5, 1, 2), (2, 2, 0), (5, 1, 0), (2, 2, 0))
            self.net = nn.Sequential(
                L.conv(1, 6, kernel_size=5, padding=2),
                nn.Sigmoid(),
                nn.AvgPool2d(kernel_size=2, stride=2),
                L.conv(6, 16, kernel_size=5),
                nn.Sigmoid(),
                nn.AvgPool2d(kernel_size=2, stride=2),
                nn.Flatten(),
                L.linear(16 * s * s, 120),
                nn.Sigmoid(),
                L.linear(120, 84),
                nn.Sigmoid(),
                L.linear(84, num_classes),
            )

    # ------------------------------------------------------------------ 8.1 AlexNet
    class AlexNet(Classifier):
        def __init__(self, lazy=True, num_classes=10, size=224, hidden=4096):
            super().__init__()
            L = Layers(lazy)
            s = _side(size, (11, 4, 1), (3, 2, 0), (5, 1, 2), (3, 2, 0), (3, 2, 0))
            self.net = nn.Sequential(
                L.conv(1, 96, kernel_size=11, stride=4, padding=1),
                nn.ReLU(),
                nn.MaxPool2d(kernel_size=3, stride=2),
                L.conv(96, 256, kernel_size=5, padding=2),
                nn.ReLU(),
                nn.MaxPool2d(kernel_size=3, stride=2),
                L.conv(256, 384, kernel_size=3, padding=1),
                nn.ReLU(),
                L.conv(384, 384, kernel_size=3, padding=1),
                nn.ReLU(),
                L.conv(384, 256, kernel_size=3, padding=1),
                nn.ReLU(),
                nn.MaxPool2d(kernel_size=3, stride=2),
                nn.Flatten(),
                L.linear(256 * s * s, hidden),
                nn.ReLU(),
                nn.Dropout(p=0.5),
                L.linear(hidden, hidden),
                nn.ReLU(),
                nn.Dropout(p=0.5),
                L.linear(hidden, num_classes),
            )

    # ------------------------------------------------------------------ 8.2 VGG
    def vgg_block(L, num_convs, in_channels, out_channels):
        layers = []
        for _ in range(num_convs):
            layers.append(L.conv(in_channels, out_channels, kernel_size=3, padding=1))
            layers.append(nn.ReLU())
            in_channels = out_channels
        layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
        return nn.Sequential(*layers)

    class VGG(Classifier):
        def __init__(
            self,
            arch=((1, 16), (1, 32), (2, 64), (2, 128), (2, 128)),
            lazy=True,
            num_classes=10,
            size=224,
            hidden=4096,
        ):
            super().__init__()
            L = Layers(lazy)
            conv_blks = []
            in_channels = 1
            for num_convs, out_channels in arch:
                conv_blks.append(vgg_block(L, num_convs, in_channels, out_channels))
                in_channels = out_channels
            s = size // 2 ** len(arch)
            self.net = nn.Sequential(
                *conv_blks,
                nn.Flatten(),
                L.linear(in_channels * s * s, hidden),
                nn.ReLU(),
                nn.Dropout(0.5),
                L.linear(hidden, hidden),
                nn.ReLU(),
                nn.Dropout(0.5),
                L.linear(hidden, num_classes),
            )

    # ------------------------------------------------------------------ 8.3 NiN
    def nin_block(L, in_channels, out_channels, kernel_size, strides, padding):
        return nn.Sequential(
            L.conv(
                in_channels, out_channels, kernel_size=kernel_size, stride=strides, padding=padding
            ),
            nn.ReLU(),
            L.conv(out_channels, out_channels, kernel_size=1),
            nn.ReLU(),
            L.conv(out_channels, out_channels, kernel_size=1),
            nn.ReLU(),
        )

    class NiN(Classifier):
        def __init__(self, lazy=True, num_classes=10):
            super().__init__()
            L = Layers(lazy)
            self.net = nn.Sequential(
                nin_block(L, 1, 96, kernel_size=11, strides=4, padding=0),
                nn.MaxPool2d(3, stride=2),
                nin_block(L, 96, 256, kernel_size=5, strides=1, padding=2),
                nn.MaxPool2d(3, stride=2),
                nin_block(L, 256, 384, kernel_size=3, strides=1, padding=1),
                nn.MaxPool2d(3, stride=2),
                nn.Dropout(0.5),
                nin_block(L, 384, num_classes, kernel_size=3, strides=1, padding=1),
                nn.AdaptiveAvgPool2d((1, 1)),
                nn.Flatten(),
            )

    # ------------------------------------------------------------------ 8.4 GoogLeNet
    class Inception(nn.Module):
        # c1--c4 are the number of output channels for each branch
        def __init__(self, c1, c2, c3, c4, lazy=True, in_channels=None, **kwargs):
            super().__init__(**kwargs)
            L, cin = Layers(lazy), in_channels
            # Branch 1
            self.b1_1 = L.conv(cin, c1, kernel_size=1)
            # Branch 2
            self.b2_1 = L.conv(cin, c2[0], kernel_size=1)
            self.b2_2 = L.conv(c2[0], c2[1], kernel_size=3, padding=1)
            # Branch 3
            self.b3_1 = L.conv(cin, c3[0], kernel_size=1)
            self.b3_2 = L.conv(c3[0], c3[1], kernel_size=5, padding=2)
            # Branch 4
            self.b4_1 = nn.MaxPool2d(kernel_size=3, stride=1, padding=1)
            self.b4_2 = L.conv(cin, c4, kernel_size=1)

        def forward(self, x):
            b1 = F.relu(self.b1_1(x))
            b2 = F.relu(self.b2_2(F.relu(self.b2_1(x))))
            b3 = F.relu(self.b3_2(F.relu(self.b3_1(x))))
            b4 = F.relu(self.b4_2(self.b4_1(x)))
            return lib.cat((b1, b2, b3, b4), dim=1)

    class GoogleNet(Classifier):
        def inception(self, cin, c1, c2, c3, c4):
            return Inception(c1, c2, c3, c4, lazy=self.lazy, in_channels=cin)

        def b1(self):
            return nn.Sequential(
                self.L.conv(1, 64, kernel_size=7, stride=2, padding=3),
                nn.ReLU(),
                nn.MaxPool2d(kernel_size=3, stride=2, padding=1),
            )

        def b2(self):
            return nn.Sequential(
                self.L.conv(64, 64, kernel_size=1),
                nn.ReLU(),
                self.L.conv(64, 192, kernel_size=3, padding=1),
                nn.ReLU(),
                nn.MaxPool2d(kernel_size=3, stride=2, padding=1),
            )

        def b3(self):
            return nn.Sequential(
                self.inception(192, 64, (96, 128), (16, 32), 32),
                self.inception(256, 128, (128, 192), (32, 96), 64),
                nn.MaxPool2d(kernel_size=3, stride=2, padding=1),
            )

        def b4(self):
            return nn.Sequential(
                self.inception(480, 192, (96, 208), (16, 48), 64),
                self.inception(512, 160, (112, 224), (24, 64), 64),
                self.inception(512, 128, (128, 256), (24, 64), 64),
                self.inception(512, 112, (144, 288), (32, 64), 64),
                self.inception(528, 256, (160, 320), (32, 128), 128),
                nn.MaxPool2d(kernel_size=3, stride=2, padding=1),
            )

        def b5(self):
            return nn.Sequential(
                self.inception(832, 256, (160, 320), (32, 128), 128),
                self.inception(832, 384, (192, 384), (48, 128), 128),
                nn.AdaptiveAvgPool2d((1, 1)),
                nn.Flatten(),
            )

        def __init__(self, lazy=True, num_classes=10):
            super().__init__()
            self.lazy, self.L = lazy, Layers(lazy)
            self.net = nn.Sequential(
                self.b1(),
                self.b2(),
                self.b3(),
                self.b4(),
                self.b5(),
                self.L.linear(1024, num_classes),
            )
            self.net.apply(init_cnn)

    # ------------------------------------------------------------------ 8.5 batch normalization
    def batch_norm(X, gamma, beta, moving_mean, moving_var, eps, momentum):
        # Use is_grad_enabled to determine whether we are in training mode
        if not lib.is_grad_enabled():
            # In prediction mode, use mean and variance obtained by moving average
            X_hat = (X - moving_mean) / lib.sqrt(moving_var + eps)
        else:
            assert len(X.shape) in (2, 4)
            if len(X.shape) == 2:
                # When using a fully connected layer, calculate the mean and variance on the
                # feature dimension
                mean = X.mean(dim=0)
                var = ((X - mean) ** 2).mean(dim=0)
            else:
                # When using a two-dimensional convolutional layer, calculate the mean and
                # variance on the channel dimension (axis=1).
                mean = X.mean(dim=(0, 2, 3), keepdim=True)
                var = ((X - mean) ** 2).mean(dim=(0, 2, 3), keepdim=True)
            # In training mode, the current mean and variance are used
            X_hat = (X - mean) / lib.sqrt(var + eps)
            # Update the mean and variance using moving average
            moving_mean = (1.0 - momentum) * moving_mean + momentum * mean
            moving_var = (1.0 - momentum) * moving_var + momentum * var
        Y = gamma * X_hat + beta  # Scale and shift
        return Y, moving_mean.data, moving_var.data

    class BatchNorm(nn.Module):
        # num_features: the number of outputs for a fully connected layer or the number of
        # output channels for a convolutional layer. num_dims: 2 for a fully connected layer
        # and 4 for a convolutional layer
        def __init__(self, num_features, num_dims):
            super().__init__()
            if num_dims == 2:
                shape = (1, num_features)
            else:
                shape = (1, num_features, 1, 1)
            # The scale parameter and the shift parameter (model parameters) are initialized
            # to 1 and 0, respectively
            self.gamma = nn.Parameter(lib.ones(shape))
            self.beta = nn.Parameter(lib.zeros(shape))
            # The variables that are not model parameters are initialized to 0 and 1
            self.moving_mean = lib.zeros(shape)
            self.moving_var = lib.ones(shape)

        def forward(self, X):
            # If X is not on the main memory, copy moving_mean and moving_var to the device
            # where X is located
            if self.moving_mean.device != X.device:
                self.moving_mean = self.moving_mean.to(X.device)
                self.moving_var = self.moving_var.to(X.device)
            # Save the updated moving_mean and moving_var
            Y, self.moving_mean, self.moving_var = batch_norm(
                X, self.gamma, self.beta, self.moving_mean, self.moving_var, eps=1e-5, momentum=0.1
            )
            return Y

    class BNLeNetScratch(Classifier):
        def __init__(self, lazy=True, num_classes=10, size=28):
            super().__init__()
            L = Layers(lazy)
            s = _side(size, (5, 1, 0), (2, 2, 0), (5, 1, 0), (2, 2, 0))
            self.net = nn.Sequential(
                L.conv(1, 6, kernel_size=5),
                BatchNorm(6, num_dims=4),
                nn.Sigmoid(),
                nn.AvgPool2d(kernel_size=2, stride=2),
                L.conv(6, 16, kernel_size=5),
                BatchNorm(16, num_dims=4),
                nn.Sigmoid(),
                nn.AvgPool2d(kernel_size=2, stride=2),
                nn.Flatten(),
                L.linear(16 * s * s, 120),
                BatchNorm(120, num_dims=2),
                nn.Sigmoid(),
                L.linear(120, 84),
                BatchNorm(84, num_dims=2),
                nn.Sigmoid(),
                L.linear(84, num_classes),
            )

    class BNLeNet(Classifier):
        def __init__(self, lazy=True, num_classes=10, size=28):
            super().__init__()
            L = Layers(lazy)
            s = _side(size, (5, 1, 0), (2, 2, 0), (5, 1, 0), (2, 2, 0))
            self.net = nn.Sequential(
                L.conv(1, 6, kernel_size=5),
                L.bn2d(6),
                nn.Sigmoid(),
                nn.AvgPool2d(kernel_size=2, stride=2),
                L.conv(6, 16, kernel_size=5),
                L.bn2d(16),
                nn.Sigmoid(),
                nn.AvgPool2d(kernel_size=2, stride=2),
                nn.Flatten(),
                L.linear(16 * s * s, 120),
                L.bn1d(120),
                nn.Sigmoid(),
                L.linear(120, 84),
                L.bn1d(84),
                nn.Sigmoid(),
                L.linear(84, num_classes),
            )

    # ------------------------------------------------------------------ 8.6 ResNet
    class Residual(nn.Module):
        """The Residual block of ResNet models."""

        def __init__(self, num_channels, use_1x1conv=False, strides=1, lazy=True, in_channels=None):
            super().__init__()
            L, cin = Layers(lazy), in_channels
            self.conv1 = L.conv(cin, num_channels, kernel_size=3, padding=1, stride=strides)
            self.conv2 = L.conv(num_channels, num_channels, kernel_size=3, padding=1)
            if use_1x1conv:
                self.conv3 = L.conv(cin, num_channels, kernel_size=1, stride=strides)
            else:
                self.conv3 = None
            self.bn1 = L.bn2d(num_channels)
            self.bn2 = L.bn2d(num_channels)

        def forward(self, X):
            Y = F.relu(self.bn1(self.conv1(X)))
            Y = self.bn2(self.conv2(Y))
            if self.conv3:
                X = self.conv3(X)
            Y += X
            return F.relu(Y)

    class ResNeXtBlock(nn.Module):
        """The ResNeXt block."""

        def __init__(
            self,
            num_channels,
            groups,
            bot_mul,
            use_1x1conv=False,
            strides=1,
            lazy=True,
            in_channels=None,
        ):
            super().__init__()
            L, cin = Layers(lazy), in_channels
            bot_channels = int(round(num_channels * bot_mul))
            self.conv1 = L.conv(cin, bot_channels, kernel_size=1, stride=1)
            self.conv2 = L.conv(
                bot_channels,
                bot_channels,
                kernel_size=3,
                stride=strides,
                padding=1,
                groups=bot_channels // groups,
            )
            self.conv3 = L.conv(bot_channels, num_channels, kernel_size=1, stride=1)
            self.bn1 = L.bn2d(bot_channels)
            self.bn2 = L.bn2d(bot_channels)
            self.bn3 = L.bn2d(num_channels)
            if use_1x1conv:
                self.conv4 = L.conv(cin, num_channels, kernel_size=1, stride=strides)
                self.bn4 = L.bn2d(num_channels)
            else:
                self.conv4 = None

        def forward(self, X):
            Y = F.relu(self.bn1(self.conv1(X)))
            Y = F.relu(self.bn2(self.conv2(Y)))
            Y = self.bn3(self.conv3(Y))
            if self.conv4:
                X = self.bn4(self.conv4(X))
            return F.relu(Y + X)

    class ResNet(Classifier):
        def b1(self):
            return nn.Sequential(
                self.L.conv(1, 64, kernel_size=7, stride=2, padding=3),
                self.L.bn2d(64),
                nn.ReLU(),
                nn.MaxPool2d(kernel_size=3, stride=2, padding=1),
            )

        def block(self, num_residuals, num_channels, first_block=False, in_channels=64):
            blk = []
            for i in range(num_residuals):
                if i == 0 and not first_block:
                    blk.append(
                        Residual(
                            num_channels,
                            use_1x1conv=True,
                            strides=2,
                            lazy=self.lazy,
                            in_channels=in_channels,
                        )
                    )
                else:
                    blk.append(Residual(num_channels, lazy=self.lazy, in_channels=num_channels))
            return nn.Sequential(*blk)

        def __init__(self, arch, lazy=True, num_classes=10):
            super().__init__()
            self.lazy, self.L = lazy, Layers(lazy)
            self.net = nn.Sequential(self.b1())
            channels = 64
            for i, b in enumerate(arch):
                self.net.add_module(
                    f"b{i + 2}", self.block(*b, first_block=(i == 0), in_channels=channels)
                )
                channels = b[1]
            self.net.add_module(
                "last",
                nn.Sequential(
                    nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(), self.L.linear(channels, num_classes)
                ),
            )
            self.net.apply(init_cnn)

    class ResNet18(ResNet):
        def __init__(self, lazy=True, num_classes=10):
            super().__init__(((2, 64), (2, 128), (2, 256), (2, 512)), lazy, num_classes)

    class AnyNetResNeXt(Classifier):
        """A small network of ResNeXt blocks (the chapter's block, stacked as its stages)."""

        def __init__(
            self, lazy=True, num_classes=10, arch=((2, 32), (2, 64)), groups=16, bot_mul=1
        ):
            super().__init__()
            L = Layers(lazy)
            layers = [L.conv(1, 32, kernel_size=3, padding=1), L.bn2d(32), nn.ReLU()]
            cin = 32
            for depth, channels in arch:
                for i in range(depth):
                    layers.append(
                        ResNeXtBlock(
                            channels,
                            groups,
                            bot_mul,
                            use_1x1conv=(i == 0),
                            strides=2 if i == 0 else 1,
                            lazy=lazy,
                            in_channels=cin,
                        )
                    )
                    cin = channels
            layers += [nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(), L.linear(cin, num_classes)]
            self.net = nn.Sequential(*layers)

    # ------------------------------------------------------------------ 8.7 DenseNet
    def conv_block(L, in_channels, num_channels):
        return nn.Sequential(
            L.bn2d(in_channels),
            nn.ReLU(),
            L.conv(in_channels, num_channels, kernel_size=3, padding=1),
        )

    class DenseBlock(nn.Module):
        def __init__(self, num_convs, num_channels, lazy=True, in_channels=None):
            super().__init__()
            L = Layers(lazy)
            layer = []
            for i in range(num_convs):
                layer.append(
                    conv_block(L, None if lazy else in_channels + i * num_channels, num_channels)
                )
            self.net = nn.Sequential(*layer)

        def forward(self, X):
            for blk in self.net:
                Y = blk(X)
                # Concatenate input and output of each block along the channels
                X = lib.cat((X, Y), dim=1)
            return X

    def transition_block(L, in_channels, num_channels):
        return nn.Sequential(
            L.bn2d(in_channels),
            nn.ReLU(),
            L.conv(in_channels, num_channels, kernel_size=1),
            nn.AvgPool2d(kernel_size=2, stride=2),
        )

    class DenseNet(Classifier):
        def b1(self):
            return nn.Sequential(
                self.L.conv(1, 64, kernel_size=7, stride=2, padding=3),
                self.L.bn2d(64),
                nn.ReLU(),
                nn.MaxPool2d(kernel_size=3, stride=2, padding=1),
            )

        def __init__(
            self, num_channels=64, growth_rate=32, arch=(4, 4, 4, 4), lazy=True, num_classes=10
        ):
            super().__init__()
            self.L = L = Layers(lazy)
            self.net = nn.Sequential(self.b1())
            for i, num_convs in enumerate(arch):
                self.net.add_module(
                    f"dense_blk{i + 1}",
                    DenseBlock(num_convs, growth_rate, lazy, in_channels=num_channels),
                )
                before = num_channels + num_convs * growth_rate
                num_channels = before
                if i != len(arch) - 1:
                    num_channels //= 2
                    self.net.add_module(
                        f"tran_blk{i + 1}", transition_block(L, before, num_channels)
                    )
            self.net.add_module(
                "last",
                nn.Sequential(
                    L.bn2d(num_channels),
                    nn.ReLU(),
                    nn.AdaptiveAvgPool2d((1, 1)),
                    nn.Flatten(),
                    L.linear(num_channels, num_classes),
                ),
            )
            self.net.apply(init_cnn)

    return {
        "LeNet": LeNet,
        "AlexNet": AlexNet,
        "VGG": VGG,
        "NiN": NiN,
        "GoogleNet": GoogleNet,
        "BNLeNetScratch": BNLeNetScratch,
        "BNLeNet": BNLeNet,
        "ResNet18": ResNet18,
        "ResNeXt": AnyNetResNeXt,
        "DenseNet": DenseNet,
        "Inception": Inception,
        "Residual": Residual,
        "ResNeXtBlock": ResNeXtBlock,
        "DenseBlock": DenseBlock,
    }


def chapter7_snippets(lib):
    """The from-scratch code of D2L's chapter 7 (7.2-7.5), as functions returning what the book
    prints: cross-correlation by loops, a Conv2D layer built on it, learning an edge kernel,
    output shapes under padding and stride, multiple channels, pooling by loops and nn pools.
    """
    nn = lib.nn

    def corr2d(X, K):
        """Compute 2D cross-correlation."""
        h, w = K.shape
        Y = lib.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))
        for i in range(Y.shape[0]):
            for j in range(Y.shape[1]):
                Y[i, j] = (X[i : i + h, j : j + w] * K).sum()
        return Y

    class Conv2D(nn.Module):
        def __init__(self, kernel_size):
            super().__init__()
            self.weight = nn.Parameter(lib.rand(kernel_size))
            self.bias = nn.Parameter(lib.zeros(1))

        def forward(self, x):
            return corr2d(x, self.weight) + self.bias

    def s72_corr2d():
        X = lib.tensor([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]])
        K = lib.tensor([[0.0, 1.0], [2.0, 3.0]])
        return [corr2d(X, K)]

    def s72_conv2d_scratch():
        layer = Conv2D((1, 2))
        with lib.no_grad():
            layer.weight.copy_(lib.tensor([[0.5, -0.25]]))
        X = lib.ones((6, 8))
        X[:, 2:6] = 0
        out = layer(X)
        out.sum().backward()
        return [out, layer.weight.grad, layer.bias.grad]

    def s72_edge_detection():
        X = lib.ones((6, 8))
        X[:, 2:6] = 0
        K = lib.tensor([[1.0, -1.0]])
        Y = corr2d(X, K)
        return [X, Y, corr2d(X.t(), K)]

    def s72_learn_kernel():
        X = lib.ones((6, 8))
        X[:, 2:6] = 0
        K = lib.tensor([[1.0, -1.0]])
        Y = corr2d(X, K)
        # Construct a two-dimensional convolutional layer with 1 output channel and a
        # kernel of shape (1, 2). For the sake of simplicity, we ignore the bias here
        conv2d = nn.LazyConv2d(1, kernel_size=(1, 2), bias=False)
        # The two-dimensional convolutional layer uses four-dimensional input and
        # output in the format of (example, channel, height, width), where the batch
        # size (number of examples in the batch) and the number of channels are both 1
        X = X.reshape((1, 1, 6, 8))
        Y = Y.reshape((1, 1, 6, 7))
        lr = 3e-2  # Learning rate
        conv2d(X)  # not in the book: materialize, then start both libraries from one kernel
        conv2d.weight.data[:] = lib.tensor([[[[0.3, -0.2]]]])
        losses = []
        for i in range(10):
            Y_hat = conv2d(X)
            l = (Y_hat - Y) ** 2
            conv2d.zero_grad()
            l.sum().backward()
            # Update the kernel
            conv2d.weight.data[:] -= lr * conv2d.weight.grad
            if (i + 1) % 2 == 0:
                losses.append(f"epoch {i + 1}, loss {l.sum():.3f}")
        return [conv2d.weight.data.reshape((1, 2)), losses]

    def comp_conv2d(conv2d, X):
        # (1, 1) indicates that batch size and the number of channels are both 1
        X = X.reshape((1, 1) + X.shape)
        Y = conv2d(X)
        # Strip the first two dimensions: examples and channels
        return Y.reshape(Y.shape[2:])

    def s73_padding_and_stride():
        X = lib.rand(size=(8, 8))
        shapes = []
        for conv2d in (
            nn.LazyConv2d(1, kernel_size=3, padding=1),
            nn.LazyConv2d(1, kernel_size=(5, 3), padding=(2, 1)),
            nn.LazyConv2d(1, kernel_size=3, padding=1, stride=2),
            nn.LazyConv2d(1, kernel_size=(3, 5), padding=(0, 1), stride=(3, 4)),
        ):
            shapes.append(tuple(comp_conv2d(conv2d, X).shape))
        return [shapes]

    def corr2d_multi_in(X, K):
        # Iterate through the 0th dimension (channel) of K first, then add them up
        return sum(corr2d(x, k) for x, k in zip(X, K))

    def corr2d_multi_in_out(X, K):
        # Iterate through the 0th dimension of K, and each time, perform
        # cross-correlation operations with input X. All of the results are
        # stacked together
        return lib.stack([corr2d_multi_in(X, k) for k in K], 0)

    def corr2d_multi_in_out_1x1(X, K):
        c_i, h, w = X.shape
        c_o = K.shape[0]
        X = X.reshape((c_i, h * w))
        K = K.reshape((c_o, c_i))
        # Matrix multiplication in the fully connected layer
        Y = lib.matmul(K, X)
        return Y.reshape((c_o, h, w))

    def s74_multiple_channels():
        X = lib.tensor(
            [
                [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]],
                [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]],
            ]
        )
        K = lib.tensor([[[0.0, 1.0], [2.0, 3.0]], [[1.0, 2.0], [3.0, 4.0]]])
        first = corr2d_multi_in(X, K)
        K = lib.stack((K, K + 1, K + 2), 0)
        out = corr2d_multi_in_out(X, K)
        X = lib.arange(27.0).reshape(3, 3, 3) / 10 - 1
        K = lib.arange(6.0).reshape(2, 3, 1, 1) / 5 - 0.5
        Y1 = corr2d_multi_in_out_1x1(X, K)
        Y2 = corr2d_multi_in_out(X, K)
        assert float(lib.abs(Y1 - Y2).sum()) < 1e-6
        return [first, tuple(K.shape), out, Y1]

    def pool2d_scratch(X, pool_size, mode="max"):
        p_h, p_w = pool_size
        Y = lib.zeros((X.shape[0] - p_h + 1, X.shape[1] - p_w + 1))
        for i in range(Y.shape[0]):
            for j in range(Y.shape[1]):
                if mode == "max":
                    Y[i, j] = X[i : i + p_h, j : j + p_w].max()
                elif mode == "avg":
                    Y[i, j] = X[i : i + p_h, j : j + p_w].mean()
        return Y

    def s75_pooling():
        X = lib.tensor([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]])
        res = [pool2d_scratch(X, (2, 2)), pool2d_scratch(X, (2, 2), "avg")]
        X = lib.arange(16, dtype=lib.float32).reshape((1, 1, 4, 4))
        pool2d = nn.MaxPool2d(3)
        # Pooling has no model parameters, hence it needs no initialization
        res.append(pool2d(X))
        pool2d = nn.MaxPool2d(3, padding=1, stride=2)
        res.append(pool2d(X))
        pool2d = nn.MaxPool2d((2, 3), stride=(2, 3), padding=(0, 1))
        res.append(pool2d(X))
        X = lib.cat((X, X + 1), 1)
        res.append(X)
        pool2d = nn.MaxPool2d(3, padding=1, stride=2)
        res.append(pool2d(X))
        res.append(
            [
                repr(p)
                for p in (
                    nn.MaxPool2d(3),
                    nn.MaxPool2d(3, padding=1, stride=2),
                    nn.MaxPool2d((2, 3), stride=(2, 3), padding=(0, 1)),
                )
            ]
        )
        return res

    return {
        "7.2 corr2d": s72_corr2d,
        "7.2 Conv2D from scratch": s72_conv2d_scratch,
        "7.2 edge detection": s72_edge_detection,
        "7.2 learning a kernel": s72_learn_kernel,
        "7.3 padding and stride": s73_padding_and_stride,
        "7.4 multiple channels": s74_multiple_channels,
        "7.5 pooling": s75_pooling,
    }
