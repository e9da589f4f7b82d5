"""Learners' module-building mistakes: each raises or warns with cause, place and fix.

Every mistake has its correct variant next to it, run with all warnings turned
into errors: correct code must stay completely silent.
"""
import copy
import warnings

import numpy as np
import pytest

import d2lmods
import d2lmods as torch_like  # the import a learner writes as `import d2lmods as torch`
from d2lmods import nn


def silent(fn, *args, **kwargs):
    """Run ``fn`` with every warning turned into an error (correct code must not warn)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return fn(*args, **kwargs)


def quiet(fn, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args)


# ---- 1. modules kept in a plain list / dict / tuple ----------------------------------------------

class ListNet(nn.Module):
    def __init__(self, container):
        super().__init__()
        self.layers = container([nn.Linear(4, 4), nn.Linear(4, 2)])

    def forward(self, X):
        for layer in self.layers:
            X = layer(X)
        return X


@pytest.mark.parametrize("container,word,fix", [(list, "list", "nn.ModuleList"),
                                                (tuple, "tuple", "nn.ModuleList")])
def test_modules_in_plain_list_or_tuple(container, word, fix):
    with pytest.warns(nn.UnregisteredModuleWarning,
                      match=rf"ListNet\.layers\[0\] \(Linear\), ListNet\.layers\[1\].*plain Python {word}.*{fix}"):
        ListNet(container)
    net = silent(ListNet, nn.ModuleList)
    assert len(list(net.parameters())) == 4


def test_modules_in_plain_dict():
    class DictNet(nn.Module):
        def __init__(self, wrap):
            super().__init__()
            self.heads = wrap({"cls": nn.Linear(4, 3), "box": nn.Linear(4, 4)})

    with pytest.warns(nn.UnregisteredModuleWarning, match=r"DictNet\.heads\['cls'\].*nn\.ModuleDict"):
        DictNet(dict)
    assert [n for n, _ in silent(DictNet, nn.ModuleDict).named_parameters()][0] == "heads.cls.weight"


def test_list_appended_after_assignment():
    class MySequential(nn.Module):
        def __init__(self, *args, registered=False):
            super().__init__()
            self.blocks = nn.ModuleList() if registered else []
            for b in args:
                self.blocks.append(b)

        def forward(self, X):
            for b in self.blocks:
                X = b(X)
            return X

    net = MySequential(nn.Linear(2, 2), nn.Linear(2, 1))     # empty when assigned: silent here ...
    with pytest.warns(nn.UnregisteredModuleWarning, match=r"MySequential\.blocks\[1\] \(Linear\)"):
        net(d2lmods.randn(3, 2))                                 # ... reported at the first call
    net = MySequential()
    net.blocks.append(nn.Linear(2, 1))                           # filled after construction ...
    with pytest.warns(nn.UnregisteredModuleWarning, match=r"MySequential\.blocks\[0\] \(Linear\)"):
        net(d2lmods.randn(3, 2))                                 # ... reported at the first call
    good = silent(MySequential, nn.Linear(2, 2), nn.Linear(2, 1), registered=True)
    silent(good, d2lmods.randn(3, 2))


# ---- 2. plain tensors instead of nn.Parameter ---------------------------------------------------

def test_plain_tensor_instead_of_parameter():
    class MyLinear(nn.Module):
        def __init__(self, as_param):
            super().__init__()
            w = d2lmods.randn(3, 2, requires_grad=not as_param)
            self.weight = nn.Parameter(w) if as_param else w

    with pytest.warns(nn.UnregisteredModuleWarning,
                      match=r"MyLinear\.weight is a plain tensor with requires_grad=True.*nn\.Parameter"):
        MyLinear(False)
    assert [n for n, _ in silent(MyLinear, True).named_parameters()] == ["weight"]


def test_parameters_in_plain_list():
    class P(nn.Module):
        def __init__(self, wrap):
            super().__init__()
            self.ws = wrap([nn.Parameter(d2lmods.randn(2, 2)) for _ in range(2)])

    with pytest.warns(nn.UnregisteredModuleWarning, match=r"P\.ws\[0\] \(Parameter\).*nn\.ParameterList"):
        P(list)
    assert len(list(silent(P, nn.ParameterList).parameters())) == 2


# ---- 3. add_module replacing a child -------------------------------------------------------------

def test_add_module_replacing_a_child_warns():
    class Blocks(nn.Sequential):
        def __init__(self, name):
            super().__init__()
            for i in range(2):                   # one name in the loop of __init__
                self.add_module(name(i), nn.Linear(2, 2))

    with pytest.warns(nn.ModuleUsageWarning, match=r"add_module\('block', Linear\) replaces the child"):
        Blocks(lambda i: "block")
    assert len(silent(Blocks, lambda i: f"block{i}")) == 2
    net = nn.Sequential()
    net.add_module("block", nn.Linear(2, 2))
    silent(net.add_module, "block", nn.Linear(2, 2))   # outside __init__: replacing by name
    good = nn.Sequential()
    for i in range(3):
        silent(good.add_module, f"block {i}", nn.Linear(2, 2))
    assert len(good) == 3
    # Re-adding the very same module under its own name is harmless.
    silent(good.add_module, "block 0", good[0])


# ---- 4. forgetting super().__init__() ------------------------------------------------------------

def test_forgetting_super_init():
    class Net(nn.Module):
        def __init__(self):
            self.hidden = nn.Linear(2, 2)

    with pytest.raises(AttributeError, match=r"cannot assign module before Module.__init__\(\) call.*"
                                             r"call super\(\).__init__\(\) as the first line of Net.__init__"):
        Net()


# ---- 5. misspelled forward -----------------------------------------------------------------------

@pytest.mark.parametrize("typo", ["foward", "forwad", "Forward", "forwrd"])
def test_misspelled_forward(typo):
    ns = {}
    exec(f"def {typo}(self, X):\n    return X\n", ns)
    Net = type("Net", (nn.Module,), {typo: ns[typo]})
    with pytest.raises(NotImplementedError) as err:
        Net()(d2lmods.ones(1))
    assert str(err.value).startswith(
        f'Module [Net] is missing the required "forward" function \u2014 did you mean to name `{typo}` forward?')


def test_missing_forward_without_close_name():
    class Net(nn.Module):
        def compute(self, X):
            return X

    with pytest.raises(NotImplementedError, match=r"Fix: define `def forward\(self, X\): \.\.\.` in Net"):
        Net()(d2lmods.ones(1))


# ---- 6. calling .forward() directly on a lazy layer -------------------------------------------

def test_forward_called_directly_on_lazy_layer():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.hidden = nn.LazyLinear(4)

        def forward(self, X):
            return self.hidden.forward(X)            # skips the hook that sizes the layer

    with pytest.raises(RuntimeError, match=r"(?s)LazyLinear.forward\(\) was called directly.*net\(X\)"):
        Net()(d2lmods.randn(2, 3))
    layer = nn.LazyLinear(4)
    with pytest.raises(RuntimeError, match=r"called directly"):
        layer.forward(d2lmods.randn(2, 3))
    assert silent(layer, d2lmods.randn(2, 3)).shape == d2lmods.Size([2, 4])


# ---- 7. a layer class instead of an instance ---------------------------------------------------

def test_layer_class_instead_of_instance():
    with pytest.raises(TypeError, match=r"nn.Sequential got the class nn.Identity at position 1.*"
                                        r"did you mean nn.Identity\(\)\?"):
        nn.Sequential(nn.Linear(2, 3), nn.Identity)
    with pytest.raises(TypeError, match=r"did you mean nn.Linear\(\)\?"):
        nn.ModuleList([nn.Linear])
    with pytest.raises(TypeError, match=r"did you mean Identity\(\.\.\.\)\?"):
        nn.Module().add_module("act", nn.Identity)
    silent(nn.Sequential, nn.Linear(2, 3), nn.Identity())


# ---- 8. a list passed to Sequential ---------------------------------------------------------------

def test_list_passed_to_sequential():
    layers = [nn.Linear(2, 3), nn.Linear(3, 1)]
    with pytest.raises(TypeError, match=r"got a list of 2 modules at position 0.*nn.Sequential\(\*layers\)"):
        nn.Sequential(layers)
    assert len(silent(nn.Sequential, *layers)) == 2


# ---- 9. calling a ModuleList like a Sequential ---------------------------------------------------

def test_calling_a_modulelist():
    blocks = nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2)])
    with pytest.raises(NotImplementedError,
                       match=r'missing the required "forward" function.*for layer in self.layers.*nn.Sequential'):
        blocks(d2lmods.ones(1, 2))
    with pytest.raises(NotImplementedError, match="ModuleDict only holds modules"):
        nn.ModuleDict({"a": nn.Linear(1, 1)})(d2lmods.ones(1, 1))
    silent(nn.Sequential(*blocks), d2lmods.ones(1, 2))


# ---- 10. layer sizes that do not chain -----------------------------------------------------------

def test_linear_sizes_that_do_not_chain(torch):
    net = nn.Sequential(nn.Linear(20, 256), nn.Identity(), nn.Linear(128, 10))
    with pytest.raises(RuntimeError) as err:
        net(d2lmods.randn(2, 20))
    text = str(err.value)
    with pytest.raises(RuntimeError) as t_err:
        torch.nn.Sequential(torch.nn.Linear(20, 256), torch.nn.Identity(), torch.nn.Linear(128, 10))(
            torch.randn(2, 20))
    assert text.startswith(str(t_err.value))            # torch's line first ...
    assert "Linear at Sequential.2 expects in_features=128" in text   # ... then the place
    assert "last dimension is 256" in text and "nn.Linear(256, 10)" in text and "nn.LazyLinear(10)" in text
    assert silent(nn.Sequential(nn.Linear(20, 256), nn.Linear(256, 10)), d2lmods.randn(2, 20)).shape == \
        d2lmods.Size([2, 10])


def test_image_batch_into_linear_suggests_flatten():
    with pytest.raises(RuntimeError, match=r"flatten it first with nn.Flatten\(\) and use in_features=784"):
        nn.Linear(784, 10)(d2lmods.randn(2, 1, 28, 28))


def test_shape_error_inside_custom_module_names_the_attribute_path():
    class MLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.hidden = nn.Linear(20, 256)
            self.out = nn.Linear(265, 10)          # typo

        def forward(self, X):
            return self.out(self.hidden(X))

    with pytest.raises(RuntimeError, match=r"Linear at MLP\.out expects in_features=265"):
        MLP()(d2lmods.randn(2, 20))


def test_error_from_a_non_linear_child_names_the_path():
    class Bad(nn.Module):
        def forward(self, X):
            raise ValueError("boom")

    net = nn.Sequential(nn.Identity(), nn.Sequential(Bad()))
    with pytest.raises(ValueError) as err:
        net(d2lmods.ones(1))
    assert str(err.value) == "boom\n(raised inside Bad at Sequential.1.0)"

    class BadKey(nn.Module):
        def forward(self, X):
            raise KeyError("k")                  # KeyError prints its repr: the place goes in a note

    with pytest.raises(KeyError) as err:
        nn.Sequential(BadKey())(d2lmods.ones(1))
    assert err.value.__notes__ == ["(raised inside BadKey at Sequential.0)"]


def test_shape_error_from_an_op_inside_a_custom_layer_names_the_path():
    class MyLinear(nn.Module):
        def __init__(self, in_units, units):
            super().__init__()
            self.weight = nn.Parameter(d2lmods.randn(in_units, units))

        def forward(self, X):
            return d2lmods.matmul(X, self.weight)

    net = nn.Sequential(MyLinear(64, 8), MyLinear(16, 1))     # 8 outputs feed 16 inputs
    with pytest.raises(RuntimeError, match=r"(?s)\(raised inside MyLinear at Sequential.1\)"):
        net(d2lmods.rand(2, 64))


# ---- 11. float64 or numpy inputs into a float32 model ------------------------------------------

def test_float64_input_into_float32_model(torch):
    net = nn.Sequential(nn.Linear(3, 2))
    x64 = d2lmods.from_numpy(np.random.rand(4, 3))          # numpy defaults to float64
    with pytest.raises(RuntimeError) as err:
        net(x64)
    with pytest.raises(RuntimeError) as t_err:
        torch.nn.Sequential(torch.nn.Linear(3, 2))(torch.from_numpy(np.random.rand(4, 3)))
    text = str(err.value)
    assert text.startswith(str(t_err.value))
    assert "Linear at Sequential.0" in text and "d2lmods.float64" in text and "d2lmods.float32" in text
    assert "X.float()" in text
    silent(net, x64.float())


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 2)

    def forward(self, X, extra):
        return self.fc(X) + self.fc(extra)


def test_numpy_array_into_a_module():
    x = np.random.rand(4, 3)
    with pytest.raises(TypeError, match=r"^Sequential got a numpy.ndarray.*"
                                        r"torch.from_numpy\(x\).float\(\)") as err:
        nn.Sequential(nn.Linear(3, 2))(x)
    assert "\n" not in str(err.value)                 # one message, nothing appended
    with pytest.raises(TypeError, match=r"^LazyLinear got a numpy.ndarray"):
        nn.LazyLinear(2)(x)
    with pytest.raises(TypeError, match=r"Linear at Net.fc got a numpy.ndarray"):
        Net()(d2lmods.ones(1, 3), x)
    silent(nn.Linear(3, 2), torch_like.from_numpy(x).float())
    silent(nn.Linear(3, 2), torch_like.tensor(x, dtype=torch_like.float32))


def test_double_model_with_float_input():
    net = nn.Linear(3, 2).double()
    with pytest.raises(RuntimeError, match=r"Float and Double.*X.double\(\)"):
        net(d2lmods.randn(1, 3))


# ---- 12. lazy parameters read or initialized before the first call ------------------------------

def test_lazy_parameters_read_too_early():
    net = nn.Sequential(nn.LazyLinear(8), nn.LazyLinear(1))
    with pytest.raises(RuntimeError, match="Can't access the shape of an uninitialized parameter.*sample batch"):
        net[0].weight.shape
    with pytest.raises(ValueError, match="run one forward with a sample batch first"):
        sum(p.numel() for p in net.parameters())
    with pytest.raises(ValueError, match="run one forward"):
        net[0].weight.data[0]
    silent(net, d2lmods.randn(2, 4))
    assert silent(lambda: sum(p.numel() for p in net.parameters())) == 8 * 4 + 8 + 8 + 1


def test_lazy_parameters_initialized_too_early():
    init = nn.init
    lz = nn.LazyLinear(3)
    with pytest.raises((RuntimeError, ValueError), match="forward"):
        init.normal_(lz.weight, 0, 0.01)
    silent(lz, d2lmods.randn(1, 2))
    silent(init.normal_, lz.weight, 0, 0.01)


# ---- 13. load_state_dict mistakes ------------------------------------------------------------

def test_load_state_dict_with_prefixed_keys():
    sd = {"module." + k: v for k, v in copy.deepcopy(nn.Linear(2, 2).state_dict()).items()}
    with pytest.raises(RuntimeError, match=r"start with 'module\.'.*removeprefix\('module\.'\)"):
        nn.Linear(2, 2).load_state_dict(sd)


def test_load_state_dict_with_wrong_shapes():
    with pytest.raises(RuntimeError, match=r"(?s)size mismatch for 0\.weight.*How to fix: .*different layer sizes"):
        nn.Sequential(nn.Linear(4, 2)).load_state_dict(nn.Sequential(nn.Linear(3, 2)).state_dict())


def test_load_state_dict_given_a_module():
    src = nn.Linear(2, 2)
    with pytest.raises(TypeError, match=r"whole model.*state_dict\(\)"):
        nn.Linear(2, 2).load_state_dict(src)
    silent(nn.Linear(2, 2).load_state_dict, src.state_dict())


def test_load_state_dict_missing_and_unexpected():
    with pytest.raises(RuntimeError, match='(?s)Missing key\\(s\\) in state_dict: "1.weight", "1.bias".*strict=False'):
        nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2)).load_state_dict(
            nn.Sequential(nn.Linear(2, 2)).state_dict())
    with pytest.raises(RuntimeError, match='(?s)Unexpected key\\(s\\) in state_dict: "1.weight", "1.bias".*strict=False'):
        nn.Sequential(nn.Linear(2, 2)).load_state_dict(
            nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2)).state_dict())


# ---- 14. [layer] * n ---------------------------------------------------------------------------

def test_repeated_instance_from_list_multiplication():
    with pytest.warns(nn.SharedInstanceWarning,
                      match=r"same Linear instance at positions 0, 1, 2.*list comprehension") as rec:
        nn.Sequential(*[nn.Linear(8, 8)] * 3)
    assert rec[0].filename == __file__                       # the learner's line, not the library's
    with pytest.warns(nn.SharedInstanceWarning, match="positions 0, 2, 4"):
        nn.ModuleList([nn.Linear(8, 8), nn.Identity()] * 3)
    silent(nn.Sequential, *[nn.Linear(8, 8) for _ in range(3)])
    silent(nn.ModuleList, [nn.Identity()] * 3)               # no weights: sharing is harmless


def test_intentional_tying_is_silent():
    shared = nn.Linear(8, 8)
    silent(nn.Sequential, nn.Linear(4, 8), nn.Identity(), shared, nn.Identity(), shared, nn.Identity(),
           nn.Linear(8, 1))
    net = nn.Sequential()
    silent(net.add_module, "a", shared)
    silent(net.add_module, "b", shared)


# ---- 15. item assignment into a parameter that requires grad -----------------------------------

def test_item_assignment_into_parameter():
    lin = nn.Linear(2, 2)
    with pytest.raises(RuntimeError, match=r"in-place operation.*Parameter of shape \(2, 2\).*no_grad"):
        lin.weight[0, 0] = 1.0
    with d2lmods.no_grad():
        silent(lin.weight.__setitem__, (0, 0), 1.0)
    lin.weight.data[0, 1] = 2.0
    assert float(lin.weight.data[0, 0]) == 1.0 and float(lin.weight.data[0, 1]) == 2.0


# ---- 16. assigning into the dict returned by state_dict() --------------------------------------

def test_assigning_into_a_throwaway_state_dict_warns():
    lin = nn.Linear(2, 2)
    with pytest.warns(nn.StateDictWarning, match=r"changes only that dict, not the model.*load_state_dict"):
        lin.state_dict()["weight"] = d2lmods.zeros(2, 2)
    assert float(lin.weight.detach().abs().sum()) > 0          # indeed unchanged


def test_edited_state_dict_dropped_without_loading_warns():
    lin = nn.Linear(2, 2)

    def zero_weights(model):
        sd = model.state_dict()
        sd["weight"] = d2lmods.zeros(2, 2)       # ... and forgets load_state_dict

    with pytest.warns(nn.StateDictWarning, match=r"state_dict\(\)\['weight'\]"):
        zero_weights(lin)


def test_edit_then_load_is_silent():
    lin = nn.Linear(2, 2)

    def zero_weights(model):
        sd = model.state_dict()
        sd["weight"] = d2lmods.zeros(2, 2)
        model.load_state_dict(sd)

    silent(zero_weights, lin)
    assert float(lin.weight.detach().abs().sum()) == 0.0
    with d2lmods.no_grad():
        silent(lambda: lin.state_dict()["bias"].copy_(d2lmods.ones(2)))
    assert float(lin.bias.detach().sum()) == 2.0


# ---- 17. "saving" the best weights without a copy -------------------------------------------------

def test_best_weights_without_copy():
    net = nn.Linear(2, 1)
    best = net.state_dict()                  # aliases the live parameters
    with d2lmods.no_grad():
        net.weight += 1                      # "training" continues
    with pytest.warns(nn.StateDictWarning, match=r"nothing is restored.*copy.deepcopy\(net.state_dict\(\)\)"):
        net.load_state_dict(best)


def test_best_weights_with_copy_is_silent():
    net = nn.Linear(2, 1)
    best = copy.deepcopy(net.state_dict())
    snapshot = {k: v.clone() for k, v in net.state_dict().items()}
    with d2lmods.no_grad():
        net.weight += 1
    silent(net.load_state_dict, best)
    silent(net.load_state_dict, snapshot)
    silent(nn.Linear(2, 1).load_state_dict, net.state_dict())   # another model's live dict: fine


# ---- 18. a forward without `return` --------------------------------------------------------------

def test_forward_without_return():
    class Block(nn.Module):
        def __init__(self, fixed):
            super().__init__()
            self.fc = nn.Linear(2, 2)
            self.fixed = fixed

        def forward(self, X):
            if self.fixed:
                return self.fc(X)
            X = self.fc(X)                       # forgot `return X`

    with pytest.raises(RuntimeError, match=r"Block at Sequential.0 returned None.*`return X`"):
        nn.Sequential(Block(False), nn.Linear(2, 1))(d2lmods.randn(1, 2))

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.block, self.out = Block(False), nn.Linear(2, 1)

        def forward(self, X):
            return self.out(self.block(X))

    with pytest.raises(TypeError, match=r"Linear at Net.out got None.*no `return` statement"):
        Net()(d2lmods.randn(1, 2))
    silent(nn.Sequential(Block(True), nn.Linear(2, 1)), d2lmods.randn(1, 2))


# ---- 19. a layer class stored instead of an instance -------------------------------------------

def test_layer_class_stored_as_attribute_then_called():
    class Net(nn.Module):
        def __init__(self, act):
            super().__init__()
            self.fc1, self.act, self.fc2 = nn.Linear(2, 4), act, nn.Linear(4, 1)

        def forward(self, X):
            return self.fc2(self.act(self.fc1(X)))

    with pytest.raises(TypeError, match=r"Linear at Net.fc2 got a ReLU module.*nn.ReLU\(\)"):
        Net(nn.ReLU)(d2lmods.randn(1, 2))
    silent(Net(nn.ReLU()), d2lmods.randn(1, 2))


# ---- 20. integer inputs ------------------------------------------------------------------------

def test_integer_input_into_linear():
    X = d2lmods.arange(6).reshape(2, 3)
    with pytest.raises(RuntimeError, match=r"Long and Float.*X.float\(\)"):
        nn.Linear(3, 1)(X)
    silent(nn.Linear(3, 1), X.float())


# ---- 21. attribute typos and parameters of children -------------------------------------------

def test_attribute_typo_suggests_the_name():
    class MLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.hidden = nn.Linear(2, 2)

    with pytest.raises(AttributeError, match=r"'MLP' object has no attribute 'hiden'. Did you mean 'hidden'\?"):
        MLP().hiden
    assert silent(lambda: MLP().hidden.out_features) == 2


def test_parameter_of_a_child_read_on_the_container():
    net = nn.Sequential(nn.Linear(4, 8), nn.Identity(), nn.Linear(8, 1))
    with pytest.raises(AttributeError, match=r"belongs to its submodules: use net\[0\].weight, net\[2\].weight"):
        net.weight
    assert silent(lambda: net[2].weight.shape) == d2lmods.Size([1, 8])
    assert not hasattr(nn.Identity(), "weight")              # hasattr still works


# ---- 22. initializing before the first forward with lazy layers ------------------------------

def test_apply_init_before_first_forward_of_lazy_layers():
    def init_normal(m):
        if type(m) == nn.Linear:
            nn.init.normal_(m.weight, mean=0, std=0.01)

    net = nn.Sequential(nn.LazyLinear(8), nn.Identity(), nn.LazyLinear(1))
    with pytest.warns(nn.ModuleUsageWarning, match=r"apply\(init_normal\) was called before the first forward.*"
                                                    r"lazy layer '0' \(and 1 more\)"):
        net.apply(init_normal)
    silent(net, d2lmods.rand(2, 4))
    silent(net.apply, init_normal)
    assert float(net[0].weight.detach().std()) < 0.05


# ---- 23-24. load_state_dict given the method or numpy arrays -------------------------------------

def test_load_state_dict_given_the_method():
    src = nn.Linear(2, 2)
    with pytest.raises(TypeError, match=r"the method state_dict itself was passed.*other.state_dict\(\)"):
        nn.Linear(2, 2).load_state_dict(src.state_dict)


def test_load_state_dict_with_numpy_values():
    sd = {k: v.numpy().copy() for k, v in nn.Linear(2, 2).state_dict().items()}
    with pytest.raises(RuntimeError, match=r"received <class 'numpy.ndarray'> \(convert numpy arrays with torch.from_numpy"):
        nn.Linear(2, 2).load_state_dict(sd)
    silent(nn.Linear(2, 2).load_state_dict, {k: d2lmods.from_numpy(v) for k, v in sd.items()})


# ---- 25-27. container constructors called the wrong way ------------------------------------------

def test_modulelist_given_several_arguments():
    with pytest.raises(TypeError, match=r"ModuleList takes one iterable of modules, but got 2 arguments.*nn.ModuleList\(\[a, b, c\]\)"):
        nn.ModuleList(nn.Linear(1, 1), nn.Linear(1, 1))
    silent(nn.ModuleList, [nn.Linear(1, 1), nn.Linear(1, 1)])


def test_add_module_arguments_swapped():
    with pytest.raises(TypeError, match=r"add_module takes \(name, module\).*the name comes first"):
        nn.Module().add_module(nn.Linear(1, 1), "fc")


def test_sequential_given_a_plain_dict():
    layers = {"hidden": nn.Linear(2, 2), "out": nn.Linear(2, 1)}
    with pytest.raises(TypeError, match=r"got a dict of 2 modules.*OrderedDict\(d\)"):
        nn.Sequential(layers)
    from collections import OrderedDict
    assert list(silent(nn.Sequential, OrderedDict(layers))._modules) == ["hidden", "out"]


# ---- 28-29. parameters and sizes of the wrong type --------------------------------------------

def test_parameter_from_numpy_array():
    with pytest.raises(TypeError, match=r"nn.Parameter expects a Tensor, got ndarray.*torch.tensor"):
        nn.Parameter(np.zeros(3))
    silent(nn.Parameter, d2lmods.from_numpy(np.zeros(3, np.float32)))


def test_linear_with_float_sizes():
    with pytest.raises(TypeError, match=r"in_features must be an int, got float \(20.0\)"):
        nn.Linear(20.0, 256)
    with pytest.raises(TypeError, match=r"out_features must be an int"):
        nn.LazyLinear(256 / 2)
    silent(nn.Linear, 20, int(512 / 2))


def test_edited_state_dict_that_is_saved_is_silent(tmp_path):
    lin = nn.Linear(2, 2)

    def export_zeroed(model, path):
        sd = model.state_dict()
        sd["weight"] = d2lmods.zeros(2, 2)       # editing a copy for export is fine
        d2lmods.save(sd, path)

    silent(export_zeroed, lin, tmp_path / "zeroed.pt")
    assert float(d2lmods.load(tmp_path / "zeroed.pt")["weight"].abs().sum()) == 0.0


# ---- 30. forward returns the layer instead of calling it ---------------------------------------

def test_forward_returns_a_module_instead_of_calling_it():
    class Net(nn.Module):
        def __init__(self, call):
            super().__init__()
            self.net = nn.Sequential(nn.Linear(2, 1))
            self.call = call

        def forward(self, X):
            return self.net(X) if self.call else self.net

    with pytest.raises(TypeError, match=r"forward returned a Sequential module.*`return self.net\(X\)`") as err:
        Net(False)(d2lmods.ones(1, 2))
    assert "\n" not in str(err.value)
    silent(Net(True), d2lmods.ones(1, 2))


# ---- 31. forward without self / wrong number of inputs ----------------------------------------

def test_forward_defined_without_self():
    class Net(nn.Module):
        def forward(X):                                    # noqa: N805
            return X

    with pytest.raises(TypeError, match=r"Net.forward is defined as forward\(X\) without `self`.*"
                                        r"def forward\(self, X\)"):
        Net()(d2lmods.ones(1))


def test_module_called_with_too_many_inputs():
    class Add(nn.Module):
        def forward(self, X, Y):
            return X + Y

    with pytest.raises(TypeError, match=r"Add was called with 1 input\(s\), but its forward takes \(X, Y\)"):
        Add()(d2lmods.ones(1))
    silent(Add(), d2lmods.ones(1), d2lmods.ones(1))


# ---- 32. __init__ misspelled -------------------------------------------------------------------

def test_misspelled_init():
    class MLP(nn.Module):
        def __int__(self):                                 # typo: __int__
            super().__init__()
            self.hidden = nn.Linear(2, 2)

        def forward(self, X):
            return self.hidden(X)

    with pytest.raises(AttributeError, match=r"MLP defines `__int__` but no `__init__`.*def __init__\(self, \.\.\.\)"):
        MLP()(d2lmods.ones(1, 2))

    class Wide(nn.Module):
        def __inti__(self, n):
            super().__init__()

    with pytest.raises(TypeError, match=r"defines `__inti__` instead of `__init__`"):
        Wide(4)


# ---- 33. an init function applied to every module -------------------------------------------

def test_apply_init_without_type_check():
    def init_weights(m):
        m.weight.data.fill_(0.0)                           # ReLU has no weight

    net = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
    with pytest.raises(AttributeError, match=r"(?s)'ReLU' object has no attribute 'weight'.*"
                                             r"apply\(init_weights\) calls init_weights on every module.*"
                                             r"if type\(m\) == nn.Linear:"):
        net.apply(init_weights)

    def init_checked(m):
        if type(m) == nn.Linear:
            m.weight.data.fill_(0.0)

    silent(net.apply, init_checked)


# ---- 34. strict=False that loads nothing ------------------------------------------------------

def test_non_strict_load_that_matches_nothing_warns():
    sd = {"module." + k: v for k, v in copy.deepcopy(nn.Linear(2, 2).state_dict()).items()}
    with pytest.warns(nn.StateDictWarning, match=r"matched none of the 2 entries.*removeprefix\('module\.'\)"):
        nn.Linear(2, 2).load_state_dict(sd, strict=False)
    partial = {"weight": d2lmods.zeros(2, 2)}
    result = silent(nn.Linear(2, 2).load_state_dict, partial, strict=False)
    assert result.missing_keys == ["bias"]


# ---- 35. += a single module onto a ModuleList ---------------------------------------------------

def test_iadd_single_module_onto_modulelist():
    layers = nn.ModuleList()
    with pytest.raises(TypeError, match=r"should be called with an iterable, but got Linear. Fix: .*\.append\(module\)"):
        layers += nn.Linear(1, 1)
    layers.append(nn.Linear(1, 1))
    assert len(layers) == 1
