"""Every fix d2lmods suggests runs: trigger the mistake, take the code from the message, put it
where the mistake was, and the program then works, with every warning turned into an error.

A scenario is a small learner program with a ``{slot}``: run with the mistaken code in the
slot, it raises or warns; ``fix(text)`` reads the code to put there from that message. The
programs end with asserts that only the corrected program passes.
"""
import ast
import copy
import pathlib
import re
import textwrap
import warnings
from collections import OrderedDict

import numpy as np
import pytest

import d2lmods
from d2lmods import _messages, nn
from d2lmods.nn import functional as F


def grab(pattern, *, prefix="", order=None):
    """``fix`` that takes the regex's groups from the message (in ``order``), joined by ``; ``."""
    def fix(text):
        m = re.search(pattern, text, re.S)
        assert m, f"no fix matching {pattern!r} in:\n{text}"
        groups = m.groups() if order is None else [m.groups()[i] for i in order]
        return prefix + "; ".join(groups)
    return fix


class S:
    def __init__(self, names, program, bad, fix):
        self.names = (names,) if isinstance(names, str) else names
        self.program = textwrap.dedent(program).strip("\n")
        self.bad, self.fix = bad, fix

    def source(self, code):
        lines = self.program.split("\n")
        for i, line in enumerate(lines):
            if "{slot}" in line:
                indent = line[:len(line) - len(line.lstrip())]
                if line.strip() == "{slot}":
                    lines[i] = indent + code
                else:
                    lines[i] = line.replace("{slot}", code)
        return "\n".join(lines)


def _namespace():
    return {"torch": d2lmods, "nn": nn, "F": F, "np": np, "copy": copy, "OrderedDict": OrderedDict,
            "__name__": "learner"}


def message_of(program: str) -> str:
    """What d2lmods said when the mistaken program ran: the first d2lmods warning, else the error."""
    ns = _namespace()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            exec(compile(program, "<learner>", "exec"), ns)
            ns.clear()          # dropped objects (an edited state_dict) speak when collected
            error = None
        except Exception as exc:  # noqa: BLE001 -- the mistake's error is what we read
            error = exc
    ours = [w for w in caught if issubclass(w.category, _messages.CATEGORIES)]
    if ours:
        return str(ours[0].message)
    assert error is not None, "the mistake neither warned nor raised"
    return str(error)


SCENARIOS = {
    # ---- inputs --------------------------------------------------------------------------
    "numpy_input": S("numpy_input", """
        net = nn.Sequential(nn.Linear(3, 2))
        x = np.random.rand(4, 3)
        X = x
        {slot}
        assert net(X).shape == (4, 2)
        """, "pass", grab(r"convert it first, (X = torch\.from_numpy\(x\)\.float\(\))")),
    "none_input": S("none_input", """
        class Block(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(2, 2)
            def forward(self, X):
                X = self.fc(X)
                {slot}
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.block, self.out = Block(), nn.Linear(2, 1)
            def forward(self, X):
                return self.out(self.block(X))
        assert Net()(torch.randn(3, 2)).shape == (3, 1)
        """, "pass", grab(r"end that forward with `(return X)`")),
    "returned_none": S("returned_none", """
        class Block(nn.Module):
            def forward(self, X):
                X = X * 2
                {slot}
        assert nn.Sequential(Block(), nn.Linear(2, 1))(torch.randn(3, 2)).shape == (3, 1)
        """, "pass", grab(r"end Block\.forward with `(return X)`")),
    "module_input": S("module_input", """
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc1, self.act, self.fc2 = nn.Linear(2, 4), {slot}, nn.Linear(4, 1)
            def forward(self, X):
                return self.fc2(self.act(self.fc1(X)))
        assert Net()(torch.randn(3, 2)).shape == (3, 1)
        """, "nn.ReLU", grab(r"create the layer with parentheses, (nn\.ReLU\(\))")),
    "not_a_tensor": S("not_a_tensor", """
        net = nn.Linear(2, 2)
        data = [[1.0, 2.0]]
        X = data
        {slot}
        assert net(X).shape == (1, 2)
        """, "pass", grab(r"convert it first, e\.g\. (X = torch\.tensor\(data, dtype=torch\.float32\))")),
    "linear_shape": S("linear_shape", """
        net = nn.Sequential(nn.Linear(20, 256), nn.Identity(), {slot})
        assert net(torch.randn(2, 20)).shape == (2, 10)
        """, "nn.Linear(128, 10)", grab(r"Fix: make it (nn\.Linear\(256, 10\))")),
    "linear_shape:lazy": S("linear_shape", """
        net = nn.Sequential(nn.Linear(20, 256), nn.Identity(), {slot})
        assert net(torch.randn(2, 20)).shape == (2, 10)
        """, "nn.Linear(128, 10)", grab(r"or use (nn\.LazyLinear\(10\))")),
    "linear_shape:flatten": S("linear_shape", """
        net = nn.Sequential({slot}, nn.Linear(784, 10))
        assert net(torch.randn(2, 1, 28, 28)).shape == (2, 10)
        """, "nn.Identity()", grab(r"flatten it first with (nn\.Flatten\(\)) and use in_features=784")),
    "dtype_mismatch": S("dtype_mismatch", """
        net = nn.Sequential(nn.Linear(3, 2))
        X = torch.from_numpy(np.random.rand(4, 3))
        X = {slot}
        assert net(X).dtype == torch.float32
        """, "X", grab(r"Fix: convert the input with (X\.float\(\))")),
    "dtype_mismatch:double": S("dtype_mismatch", """
        net = nn.Linear(3, 2).double()
        X = torch.randn(1, 3)
        X = {slot}
        assert net(X).dtype == torch.float64
        """, "X", grab(r"convert the input with (X\.double\(\))")),
    "features_type": S("features_type", """
        layer = {slot}
        assert layer.in_features == 20
        """, "nn.Linear(20.0, 256)", grab(r"e\.g\. (nn\.Linear\(20, 256\))")),
    "conv_input": S("conv_input", """
        net = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2))
        X = torch.randn(64, 28, 28)
        X = {slot}
        assert net(X).shape == (64, 6, 28, 28)
        """, "X", grab(r"add it with (X\.unsqueeze\(1\))")),
    "conv_input:channels_last": S("conv_input", """
        conv = nn.Conv2d(3, 8, 3)
        X = torch.randn(2, 32, 32, 3)
        X = {slot}
        assert conv(X).shape == (2, 8, 30, 30)
        """, "X", grab(r"Fix: (X\.permute\(0, 3, 1, 2\))")),
    "batch_norm_single": S("batch_norm_single", """
        net = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3))
        net(torch.randn(8, 4))
        {slot}
        assert net(torch.randn(1, 4)).shape == (1, 3)
        """, "pass", grab(r"Fix: call (net\.eval\(\)) before predicting")),
    "embedding_dtype": S("embedding_dtype", """
        emb = nn.Embedding(10, 3)
        X = torch.tensor([1.0, 2.0])
        assert emb({slot}).shape == (2, 3)
        """, "X", grab(r"pass integer ids, e\.g\. (X\.long\(\))")),
    # ---- losses ---------------------------------------------------------------------------
    "float_indices": S(("float_indices", "expected_targets"), """
        y = torch.tensor([0.0, 2.0, 1.0, 1.0])
        F.cross_entropy(torch.randn(4, 3), {slot})
        """, "y", grab(r"Fix: pass (y\.long\(\))")),
    "one_hot_ints": S("one_hot_ints", """
        y = F.one_hot(torch.tensor([0, 2, 1, 2]), 3)
        assert F.cross_entropy(torch.randn(4, 3), {slot}).shape == ()
        """, "y", grab(r"Fix: pass class indices (y\.argmax\(dim=1\))")),
    "probs_shape": S("probs_shape", """
        y = torch.zeros(4, 5)
        F.cross_entropy(torch.randn(4, 3), {slot})
        """, "y", grab(r"\((y\.argmax\(dim=1\)) for one-hot rows\)")),
    "target_shape": S("target_shape", """
        y = torch.tensor([[0], [2], [1], [1]])
        F.cross_entropy(torch.randn(4, 3), {slot})
        """, "y", grab(r"flatten the labels with (y\.reshape\(-1\))")),
    "target_range": S("target_range", """
        y = torch.tensor([1, 3, 2, 3])
        F.cross_entropy(torch.randn(4, 3), {slot})
        """, "y", grab(r"subtract 1 \((y - 1)\)")),
    "nll_probs": S("nll_probs", """
        y = F.one_hot(torch.tensor([0, 2, 1, 2]), 3).float()
        F.nll_loss(F.log_softmax(torch.randn(4, 3), dim=1), {slot})
        """, "y", grab(r"Fix: pass (y\.argmax\(dim=1\))")),
    "bce_shapes": S("bce_shapes", """
        y_hat, y = torch.randn(8, 1), torch.ones(8)
        nn.BCEWithLogitsLoss()(y_hat, {slot})
        """, "y", grab(r"Fix: (y\.reshape\(\(8, 1\)\))")),
    "loss_arguments_swapped": S("loss_arguments_swapped", """
        net, loss_fn = nn.Linear(4, 3), nn.CrossEntropyLoss()
        X, y = torch.randn(8, 4), torch.randint(0, 3, (8,))
        y_hat = net(X)
        loss = {slot}
        loss.backward()
        """, "loss_fn(y, y_hat)", grab(r"swap them, (loss_fn\(y_hat, y\))")),
    "total_loss_graph": S("total_loss_graph", """
        net = nn.Linear(4, 1)
        opt = torch.optim.SGD(net.parameters(), lr=0.1)
        total_loss = 0
        for _ in range(3):
            loss = F.mse_loss(net(torch.randn(8, 4)), torch.randn(8, 1))
            opt.zero_grad()
            loss.backward()
            opt.step()
            {slot}
        assert isinstance(total_loss, float)
        """, "total_loss += loss", grab(r"add the number instead, (total_loss \+= loss\.item\(\))")),
    # ---- autograd ---------------------------------------------------------------------------
    "INPLACE_MODIFIED": S("INPLACE_MODIFIED", """
        x = torch.randn(3, requires_grad=True)
        y = x.sigmoid()
        {slot}
        y.sum().backward()
        assert torch.allclose(x.grad, 2 * x.sigmoid() * (1 - x.sigmoid()))
        """, "y *= 2", grab(r"\((y = y \* 2) instead of y \*= 2\)")),
    # ---- modules ------------------------------------------------------------------------------
    "call_super_init": S(("call_super_init",), """
        class Net(nn.Module):
            def __init__(self):
                {slot}
                self.hidden = nn.Linear(2, 2)
        assert len(list(Net().parameters())) == 2
        """, "pass", grab(r"Fix: call (super\(\)\.__init__\(\)) as the first line")),
    "init_args": S("init_args", """
        class Net(nn.Module):
            def __init__(self, n):
                {slot}
                self.hidden = nn.Linear(n, 2)
        assert Net(3).hidden.in_features == 3
        """, "super().__init__(n)", grab(r"Fix: call (super\(\)\.__init__\(\)) without arguments")),
    "init_typo_args": S(("init_typo_args", "no_attribute_typo_init"), """
        class Wide(nn.Module):
            def {slot}(self, n):
                super().__init__()
                self.n = n
        assert Wide(4).n == 4
        """, "__inti__", grab(r"to `def (__init__)\(self, \.\.\.\)`")),
    "not_a_parameter": S("not_a_parameter", """
        net = nn.Module()
        tensor = torch.randn(2)
        net.register_parameter("w", {slot})
        assert [n for n, _ in net.named_parameters()] == ["w"]
        """, "tensor", grab(r"Fix: wrap it, (nn\.Parameter\(tensor\))")),
    "assign_to_parameter": S("assign_to_parameter", """
        class Scale(nn.Module):
            def __init__(self):
                super().__init__()
                self.weight = nn.Parameter(torch.ones(2))
            def reset(self, value):
                {slot}
        s = Scale()
        s.reset(torch.zeros(2))
        assert isinstance(s.weight, nn.Parameter) and float(s.weight.detach().sum()) == 0
        """, "self.weight = value", grab(r"Fix: wrap it, (self\.weight = nn\.Parameter\(value\))")),
    "assign_to_parameter:copy": S("assign_to_parameter", """
        class Scale(nn.Module):
            def __init__(self):
                super().__init__()
                self.weight = nn.Parameter(torch.ones(2))
            def reset(self, value):
                {slot}
        s = Scale()
        w = s.weight
        s.reset(torch.zeros(2))
        assert s.weight is w and float(w.detach().sum()) == 0
        """, "self.weight = value",
        grab(r"`(with torch\.no_grad\(\): self\.weight\.copy_\(value\))`")),
    "parameter_setitem": S("parameter_setitem", """
        lin = nn.Linear(2, 2)
        param, value = lin.weight, 1.0
        {slot}
        assert float(lin.weight.detach().sum()) == 4.0 and lin.weight.is_leaf
        """, "param[0, 0] = value", grab(r"`(with torch\.no_grad\(\): param\[\.\.\.\] = value)`")),
    "add_module_swapped": S("add_module_swapped", """
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                layer = nn.Linear(1, 1)
                {slot}
        assert len(list(Net().children())) == 1
        """, "self.add_module(layer, 'fc')", grab(r"Fix: (self\.add_module\('linear', layer\))")),
    "add_module_replaces": S("add_module_replaces", """
        class Blocks(nn.Sequential):
            def __init__(self):
                super().__init__()
                for i in range(3):
                    layer = nn.Linear(2, 2)
                    {slot}
        assert len(Blocks()) == 3
        """, "self.add_module('block', layer)",
        grab(r"`(self\.add_module\(f'block\{i\}', layer\))`")),
    "unregistered": S("unregistered", """
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.layers = [nn.Linear(4, 4), nn.Linear(4, 2)]
                {slot}
        assert len(list(Net().parameters())) == 4
        """, "pass", grab(r"`(self\.layers = nn\.ModuleList\(self\.layers\))`")),
    "unregistered:dict": S("unregistered", """
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.heads = {"cls": nn.Linear(4, 3), "box": nn.Linear(4, 4)}
                {slot}
        assert len(list(Net().parameters())) == 4
        """, "pass", grab(r"`(self\.heads = nn\.ModuleDict\(self\.heads\))`")),
    "unregistered:params": S("unregistered", """
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.ws = (nn.Parameter(torch.randn(2, 2)), nn.Parameter(torch.randn(2, 2)))
                {slot}
        assert len(list(Net().parameters())) == 2
        """, "pass", grab(r"`(self\.ws = nn\.ParameterList\(self\.ws\))`")),
    "tensor_attribute": S("tensor_attribute", """
        class MyLinear(nn.Module):
            def __init__(self):
                super().__init__()
                self.weight = torch.randn(3, 2, requires_grad=True)
                {slot}
        assert [n for n, _ in MyLinear().named_parameters()] == ["weight"]
        """, "pass", grab(r"`(self\.weight = nn\.Parameter\(self\.weight\))`")),
    "returned_module": S("returned_module", """
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.net = nn.Sequential(nn.Linear(2, 1))
            def forward(self, X):
                {slot}
        assert Net()(torch.ones(1, 2)).shape == (1, 1)
        """, "return self.net", grab(r"call it, `(return self\.net\(X\))`")),
    "forward_without_self": S("forward_without_self", """
        class Net(nn.Module):
            def {slot}:
                return X * 2
        assert float(Net()(torch.ones(1)).sum()) == 2
        """, "forward(X)", grab(r"Fix: def (forward\(self, X\))")),
    "lazy_forward_direct": S("lazy_forward_direct", """
        layer = nn.LazyLinear(4)
        X = torch.randn(2, 3)
        assert {slot}.shape == (2, 4)
        """, "layer.forward(X)", grab(r"call the module itself, (layer\(X\))")),
    "lazy_before_apply": S("lazy_before_apply", """
        def init_normal(m):
            if type(m) == nn.Linear:
                nn.init.normal_(m.weight, mean=0, std=0.01)
        net = nn.Sequential(nn.LazyLinear(8), nn.ReLU(), nn.LazyLinear(1))
        X = torch.randn(2, 4)
        {slot}
        assert float(net[0].weight.detach().std()) < 0.05
        """, "net.apply(init_normal)", grab(r"then initialize: (net\(X\); net\.apply\(init_normal\))")),
    "init_lazy": S("init_lazy", """
        def init_fn(m):
            if type(m) == nn.Linear:
                nn.init.zeros_(m.weight)
        net = nn.Sequential(nn.LazyLinear(3))
        X = torch.randn(2, 4)
        {slot}
        assert float(net[0].weight.detach().abs().sum()) == 0
        """, "nn.init.zeros_(net[0].weight)",
        grab(r"initialize it, e\.g\. (net\.apply\(init_fn\)) after (net\(X\))", order=(1, 0))),
    "apply_attribute_error": S("apply_attribute_error", """
        def init_weights(m):
            {slot}
                m.weight.data.fill_(0.0)
        net = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
        net.apply(init_weights)
        assert float(net[0].weight.detach().abs().sum()) == 0
        """, "if True:", grab(r"`(if type\(m\) == nn\.Linear:)`")),
    "to_integer_dtype": S("to_integer_dtype", """
        net = nn.Linear(2, 2)
        net.to({slot})
        assert net.weight.dtype == torch.float32
        """, "torch.int64", grab(r"use a float dtype \((torch\.float32) or")),
    # ---- containers --------------------------------------------------------------------------
    "repeated_instance": S("repeated_instance", """
        net = {slot}
        assert len({id(m) for m in net}) == 3
        """, "nn.ModuleList([nn.Linear(8, 8)] * 3)",
        grab(r"list comprehension: (nn\.ModuleList\(.*\))\. If the sharing")),
    "repeated_instance:block": S("repeated_instance", """
        net = {slot}
        assert len({id(m) for m in net}) == 6
        """, "nn.Sequential(*[nn.Linear(8, 8), nn.ReLU()] * 3)",
        grab(r"list comprehension: (nn\.Sequential\(.*\))\. If the sharing")),
    "repeated_instance:partial": S("repeated_instance", """
        shared = nn.Linear(2, 2)
        net = nn.Sequential(nn.Linear(2, 2), shared, {slot}, nn.ReLU())
        assert len({id(m) for m in net}) == 4
        """, "shared", grab(r"for each of these positions, (nn\.Linear\(.*?\))\. If")),
    "module_list_arguments": S("module_list_arguments", """
        a, b, c = nn.Linear(1, 1), nn.ReLU(), nn.Linear(1, 1)
        layers = {slot}
        assert len(layers) == 3
        """, "nn.ModuleList(a, b, c)", grab(r"put the layers in a list, (nn\.ModuleList\(\[a, b, c\]\))")),
    "module_list_single": S("module_list_single", """
        layer = nn.Linear(1, 1)
        layers = {slot}
        assert len(layers) == 1
        """, "nn.ModuleList(layer)", grab(r"Fix: (nn\.ModuleList\(\[layer\]\))")),
    "container_got_list": S("container_got_list", """
        layers = [nn.Linear(2, 3), nn.Linear(3, 1)]
        net = {slot}
        assert len(net) == 2
        """, "nn.Sequential(layers)", grab(r"unpack the list, (nn\.Sequential\(\*layers\))")),
    "container_got_dict": S("container_got_dict", """
        d = {"hidden": nn.Linear(2, 2), "out": nn.Linear(2, 1)}
        net = {slot}
        assert list(net._modules) == ["hidden", "out"]
        """, "nn.Sequential(d)", grab(r"Fix: (nn\.Sequential\(OrderedDict\(d\)\))")),
    "key_replaced": S("key_replaced", """
        container = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 2))[1:]
        {slot}
        container.append(nn.Linear(2, 1))
        assert len(container) == 3
        """, "pass", grab(r"renumber first, e\.g\. (container = nn\.Sequential\(\*container\))")),
    "EXTEND_WITH_MODULE": S("EXTEND_WITH_MODULE", """
        layers, module = nn.ModuleList(), nn.Linear(1, 1)
        {slot}
        assert len(layers) == 1
        """, "layers += module", grab(r"add a single module with \.(append\(module\))",
                                       prefix="layers.")),
    # ---- state_dict ---------------------------------------------------------------------------
    "edited": S("edited", """
        net = nn.Linear(2, 2)
        sd = net.state_dict()
        sd["weight"] = torch.zeros(2, 2)
        {slot}
        assert float(net.weight.detach().abs().sum()) == 0
        """, "del sd", grab(r"pass it to (net\.load_state_dict\(sd\))")),
    "loading_itself": S("loading_itself", """
        net = nn.Linear(2, 1)
        start = float(net.weight.detach().sum())
        {slot}
        with torch.no_grad():
            net.weight += 1
        net.load_state_dict(best)
        assert abs(float(net.weight.detach().sum()) - start) < 1e-6
        """, "best = net.state_dict()", grab(r"(best = copy\.deepcopy\(net\.state_dict\(\)\))")),
    "whole_model": S("whole_model", """
        linear, other = nn.Linear(2, 2), nn.Linear(2, 2)
        {slot}
        assert torch.equal(linear.weight, other.weight)
        """, "linear.load_state_dict(other)",
        grab(r"Fix: (linear\.load_state_dict\(other\.state_dict\(\)\))")),
    "state_dict.method_passed": S("method_passed", """
        model, other = nn.Linear(2, 2), nn.Linear(2, 2)
        {slot}
        assert torch.equal(model.weight, other.weight)
        """, "model.load_state_dict(other.state_dict)",
        grab(r"call it, (model\.load_state_dict\(other\.state_dict\(\)\))")),
    # ---- the training loop ------------------------------------------------------------------
    "parameters_generator_used": S("parameters_generator_used", """
        net = nn.Linear(2, 1)
        params = net.parameters()
        print(sum(p.numel() for p in params))
        {slot}
        assert len(optimizer.param_groups[0]["params"]) == 2
        """, "optimizer = torch.optim.SGD(params, lr=0.1)",
        grab(r"`(optimizer = torch\.optim\.SGD\(net\.parameters\(\), lr=0\.1\))`")),
    "stale_gradient": S("stale_gradient", """
        net = nn.Linear(4, 1)
        optimizer = torch.optim.SGD(net.parameters(), lr=0.01)
        X, y = torch.randn(8, 4), torch.randn(8, 1)
        for _ in range(3):
            {slot}
            loss = F.mse_loss(net(X), y)
            loss.backward()
            optimizer.step()
        """, "pass", grab(r"Fix: call (optimizer\.zero_grad\(\)) in every iteration")),
    "step_without_gradients": S("step_without_gradients", """
        net = nn.Linear(4, 1)
        optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
        X, y = torch.randn(8, 4), torch.randn(8, 1)
        before = net.weight.detach().clone()
        loss = F.mse_loss(net(X), y)
        {slot}
        assert not torch.equal(before, net.weight.detach())
        """, "loss.backward(); optimizer.zero_grad(); optimizer.step()",
        grab(r"in this order: (optimizer\.zero_grad\(\); loss\.backward\(\); optimizer\.step\(\))")),
    "step_without_gradients:no_backward": S("step_without_gradients", """
        net = nn.Linear(4, 1)
        optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
        X, y = torch.randn(8, 4), torch.randn(8, 1)
        before = net.weight.detach().clone()
        optimizer.zero_grad()
        loss = F.mse_loss(net(X), y)
        {slot}
        optimizer.step()
        assert not torch.equal(before, net.weight.detach())
        """, "pass", grab(r"call (loss\.backward\(\)) before optimizer\.step\(\)")),
    "parameter_replaced": S("parameter_replaced", """
        net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
        optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
        net[0].weight = nn.Parameter(torch.zeros(8, 4))
        {slot}
        F.mse_loss(net(torch.randn(8, 4)), torch.randn(8, 1)).backward()
        optimizer.step()
        assert float(net[0].weight.detach().abs().sum()) > 0
        """, "pass", grab(r"`(optimizer = torch\.optim\.SGD\(net\.parameters\(\), lr=0\.1\))`")),
    "layer_created_in_forward": S("layer_created_in_forward", """
        class Net(nn.Module):
            def __init__(self, create):
                super().__init__()
                self.hidden = nn.Linear(20, 20)
                if create:
                    {slot}
            def forward(self, X):
                layer = self.layer if hasattr(self, "layer") else nn.Linear(20, 10)
                return layer(self.hidden(X))
        net = Net(True)
        net(torch.randn(2, 20))
        assert len(list(net.parameters())) == 4
        """, "pass", grab(r"`(self\.layer = nn\.Linear\(.*?\))`")),
    "requires_grad_attribute": S("requires_grad_attribute", """
        module = nn.Linear(2, 2)
        {slot}
        assert not module.weight.requires_grad
        """, "module.requires_grad = False",
        grab(r"call the method, (module\.requires_grad_\(False\))")),
    "shadowed_mode_method": S("shadowed_mode_method", """
        class Model(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(2, 1)
            def {slot}:
                return epochs
        m = Model()
        m.eval()
        assert not m.training and m.fc.training is False
        """, "train(self, X, y, epochs=10)", grab(r"e\.g\. `def (fit\(self, X, y, epochs=10\)):`")),
    "eval_in_train_mode": S("eval_in_train_mode", """
        net = nn.Sequential(nn.Linear(4, 8), nn.Dropout(0.5), nn.Linear(8, 3))
        X = torch.randn(8, 4)
        {slot}
        with torch.no_grad():
            assert torch.equal(net(X), net(X))
        """, "pass", grab(r"Fix: call (net\.eval\(\)) before evaluating")),
    "dropout_without_training": S("dropout_without_training", """
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(4, 4)
            def forward(self, X, p=0.5):
                X = self.fc(X)
                return {slot}
        net = Net()
        net.eval()
        X = torch.randn(8, 4)
        assert torch.equal(net(X), net(X))
        """, "F.dropout(X, p)",
        grab(r"pass the module's mode, (F\.dropout\(X, p, training=self\.training\))")),
    "data_write_in_forward": S("data_write_in_forward", """
        class Clamp(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(4, 4)
            def forward(self, X):
                X = self.fc(X) * 10
                {slot}
                return X
        net = Clamp()
        X = torch.randn(8, 4)
        net(X).sum().backward()
        H = net.fc(X).detach() * 10
        inside = ((H > 0) & (H < 1)).float()
        assert torch.allclose(net.fc.bias.grad, 10 * inside.sum(0))
        """, "X.data.clamp_(0, 1)", grab(r"e\.g\. (X = X\.clamp\(0, 1\))")),
    "shared_batchnorm": S("shared_batchnorm", """
        bn = nn.BatchNorm1d(8)
        net = nn.Sequential(nn.Linear(4, 8), bn, nn.ReLU(), nn.Linear(8, 8), {slot})
        net(torch.randn(8, 4))
        assert net[1] is not net[4]
        """, "bn", grab(r"`(nn\.BatchNorm1d\(.*?\))` for each")),
}

# Fixes that are advice rather than code to paste (each names what to change and where).
ADVICE = {
    "mixed_dtype": "convert the input or the model; its code (X.to(...)) is tested with dtype_mismatch",
    "lazy_input": "run one forward with a sample batch first (no code)",
    "lazy_zero_dim": "pass a batch of shape (batch_size, num_inputs) (no code)",
    "conv_channels": "make in_channels match the previous layer's out_channels (no code)",
    "layer_norm_shape": "normalized_shape must equal the input's last dimension(s) (no code)",
    "embedding_range": "build the Embedding with num_embeddings >= the vocabulary size",
    "softmax_before_cross_entropy": "remove the softmax layer; loss_fn(net(X), y) is the "
                                    "learner's own call (tested in test_mistakes_loop)",
    "backward_of_no_grad_output": "move the training step out of the no_grad block (no code)",
    "BACKWARD_INSIDE_NO_GRAD": "move the training step out of the no_grad block (no code)",
    "missing_forward": "define or rename forward; the body is the learner's own",
    "forward_arguments": "pass the inputs forward expects (no code)",
    "use_uninitialized": "run one forward with a batch first; num_inputs is the learner's size",
    "parameter_not_tensor": "wrap the learner's own data in a tensor (no code)",
    "add_module_class": "instantiate the class with the learner's own arguments",
}


def _builders_with_fixes():
    names = set()
    for path in pathlib.Path(_messages.__file__).parent.glob("*.py"):
        source = path.read_text()
        for node in ast.parse(source).body:
            segment = ast.get_source_segment(source, node) or ""
            if "Fix:" not in segment:
                continue
            if isinstance(node, ast.FunctionDef):
                names.add(node.name)
            elif isinstance(node, ast.Assign):
                names.add(node.targets[0].id)
    return names


def test_every_fix_is_executed_or_is_advice():
    covered = {n for s in SCENARIOS.values() for n in s.names}
    missing = _builders_with_fixes() - covered - set(ADVICE)
    assert missing == set(), f"messages whose Fix: is neither executed nor listed as advice: {missing}"


@pytest.mark.parametrize("key", sorted(SCENARIOS))
def test_suggested_fix_runs(key):
    scenario = SCENARIOS[key]
    text = message_of(scenario.source(scenario.bad))
    assert "Fix:" in text or "How to fix" in text, text
    code = scenario.fix(text)
    ns = _namespace()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        exec(compile(scenario.source(code), "<learner>", "exec"), ns)
