//! The burn adapter: the mapper's model equals the same model loaded by
//! burn-store (`SafetensorsStore` + `PyTorchToBurnAdapter`) from nninit's
//! safetensors of the PyTorch-named model; Linear weights are nninit's
//! `[out, in]` fills transposed; the values do not depend on the thread
//! count, on burn's lazy initialization having run, or on the Linear
//! layout; rules (with PyTorch's norm names), Vec paths, a stack's scheme;
//! ids kept; errors instead of panics.

use burn::module::{Module, Param};
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{
    Embedding, EmbeddingConfig, LayerNorm, LayerNormConfig, Linear, LinearConfig, LinearLayout,
};
use burn::store::{ModuleSnapshot, PyTorchToBurnAdapter, SafetensorsStore};
use burn::tensor::{Device, Tensor};
use nninit::{DType, Init, Layout, Stream};
use nninit_burn::{Config, NninitInit, Rules, Scheme};
use nninit_io::TensorSpec;

#[derive(Module, Debug)]
struct Reference {
    emb: Embedding,
    fc1: Linear,
    conv: Conv2d,
    ln: LayerNorm,
    head: Linear,
}

fn reference(device: &Device) -> Reference {
    Reference {
        emb: EmbeddingConfig::new(100, 32).init(device),
        fc1: LinearConfig::new(32, 64).init(device),
        conv: Conv2dConfig::new([4, 8], [3, 3])
            .with_groups(2)
            .init(device),
        ln: LayerNormConfig::new(64).init(device),
        head: LinearConfig::new(64, 10).init(device),
    }
}

/// PyTorch's defaults for the reference model under PyTorch's names and
/// layout, written out here (what `nninit.init_module` gives the
/// same-named torch model).
fn expected() -> Vec<(&'static str, Vec<usize>, Init)> {
    vec![
        ("emb.weight", vec![100, 32], Init::normal(0.0, 1.0).unwrap()),
        ("fc1.weight", vec![64, 32], Init::torch_default()),
        ("fc1.bias", vec![64], Init::torch_default_bias(32).unwrap()),
        ("conv.weight", vec![8, 2, 3, 3], Init::torch_default()),
        // torch's conv bias fan_in counts the kernel and the groups: 2 * 3 * 3
        ("conv.bias", vec![8], Init::torch_default_bias(18).unwrap()),
        ("ln.weight", vec![64], Init::ones()),
        ("ln.bias", vec![64], Init::zeros()),
        ("head.weight", vec![10, 64], Init::torch_default()),
        ("head.bias", vec![10], Init::torch_default_bias(64).unwrap()),
    ]
}

fn fill(name: &str, shape: &[usize], init: &Init, seed: u64) -> Vec<f32> {
    let mut v = vec![0f32; shape.iter().product()];
    init.fill(shape, Layout::Torch, &Stream::new(seed, name), &mut v)
        .unwrap();
    v
}

fn values<const D: usize>(p: &Param<Tensor<D>>) -> (Vec<usize>, Vec<u32>) {
    let t = p.val();
    let dims = t.dims().to_vec();
    let data = t.into_data();
    let v = data
        .as_slice::<f32>()
        .unwrap()
        .iter()
        .map(|x| x.to_bits())
        .collect();
    (dims, v)
}

/// Every parameter, by burn path: (shape, f32 bits).
type Snapshot = Vec<(&'static str, (Vec<usize>, Vec<u32>))>;

fn snapshot(m: &Reference) -> Snapshot {
    vec![
        ("emb.weight", values(&m.emb.weight)),
        ("fc1.weight", values(&m.fc1.weight)),
        ("fc1.bias", values(m.fc1.bias.as_ref().unwrap())),
        ("conv.weight", values(&m.conv.weight)),
        ("conv.bias", values(m.conv.bias.as_ref().unwrap())),
        ("ln.gamma", values(&m.ln.gamma)),
        ("ln.beta", values(m.ln.beta.as_ref().unwrap())),
        ("head.weight", values(&m.head.weight)),
        ("head.bias", values(m.head.bias.as_ref().unwrap())),
    ]
}

#[test]
fn equals_burn_store_loading_nninit_safetensors() {
    let device = Device::default();
    let seed = 7;
    // nninit's safetensors of the PyTorch-named model, from the hand-written
    // table (not from the adapter)
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("torch.safetensors");
    let specs: Vec<TensorSpec> = expected()
        .into_iter()
        .map(|(n, s, i)| TensorSpec::new(n, s, DType::F32, Layout::Torch, i))
        .collect();
    nninit_io::save(&path, &specs, seed, &Default::default()).unwrap();
    let mut loaded = reference(&device);
    let mut store = SafetensorsStore::from_file(&path).with_from_adapter(PyTorchToBurnAdapter);
    let result = loaded.load_from(&mut store).unwrap();
    assert!(result.missing.is_empty(), "missing: {:?}", result.missing);
    assert!(result.unused.is_empty(), "unused: {:?}", result.unused);
    assert!(result.errors.is_empty(), "errors: {:?}", result.errors);
    assert_eq!(result.applied.len(), 9);

    let mapped = reference(&device).nninit_init(&Config::new(seed)).unwrap();
    assert_eq!(snapshot(&mapped), snapshot(&loaded));

    // Linear weights: nninit's [out, in] fills, transposed
    for (name, p) in [
        ("fc1.weight", &mapped.fc1.weight),
        ("head.weight", &mapped.head.weight),
    ] {
        let (_, shape, init) = expected().into_iter().find(|e| e.0 == name).unwrap();
        let w = fill(name, &shape, &init, seed);
        let (dims, got) = values(p);
        assert_eq!(dims, [shape[1], shape[0]], "{name} is burn's [d_in, d_out]");
        for o in 0..shape[0] {
            for i in 0..shape[1] {
                assert_eq!(
                    got[i * shape[0] + o],
                    w[o * shape[1] + i].to_bits(),
                    "{name}[{o}, {i}]"
                );
            }
        }
    }
    // the rest: nninit's fills as they are
    let (_, conv) = values(&mapped.conv.weight);
    let want = fill("conv.weight", &[8, 2, 3, 3], &Init::torch_default(), seed);
    assert_eq!(conv, want.iter().map(|x| x.to_bits()).collect::<Vec<_>>());
    let (_, gamma) = values(&mapped.ln.gamma);
    assert!(gamma.iter().all(|&b| b == 1f32.to_bits()));
}

#[test]
fn pinned_values() {
    // an accidental change of stream or of the torch default is caught here
    let m = reference(&Device::default())
        .nninit_init(&Config::new(7))
        .unwrap();
    let (_, emb) = values(&m.emb.weight);
    let (_, fc1) = values(&m.fc1.weight);
    let first = |v: &[u32]| f32::from_bits(v[0]);
    let want_emb = fill(
        "emb.weight",
        &[100, 32],
        &Init::normal(0.0, 1.0).unwrap(),
        7,
    )[0];
    let want_fc1 = fill("fc1.weight", &[64, 32], &Init::torch_default(), 7)[0];
    assert_eq!(first(&emb), want_emb);
    assert_eq!(first(&fc1), want_fc1);
    assert_eq!(want_emb, nninit_pins::EMB0);
    assert_eq!(want_fc1, nninit_pins::FC10);
}

/// Values pinned (seed 7; equal to Python `nninit.init_module` of the
/// PyTorch model when pinned): the first element of `emb.weight` (N(0, 1))
/// and of `fc1.weight` (kaiming_uniform(a=sqrt(5)), fan_in 32).
mod nninit_pins {
    pub const EMB0: f32 = -0.4397189;
    pub const FC10: f32 = -0.0911497;
}

#[test]
fn thread_count_lazy_init_and_layout_do_not_matter() {
    let device = Device::default();
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| snapshot(&reference(&device).nninit_init(&Config::new(3)).unwrap()))
    };
    let one = run(1);
    assert_eq!(one, run(2));
    assert_eq!(one, run(4));
    // burn's own lazy init already run on some parameters: same values
    let m = reference(&device);
    let _ = m.fc1.weight.val();
    let _ = m.conv.bias.as_ref().unwrap().val();
    assert_eq!(one, snapshot(&m.nninit_init(&Config::new(3)).unwrap()));
    // a column-major Linear holds the same logical weight
    let mut m = reference(&device);
    m.fc1 = LinearConfig::new(32, 64)
        .with_layout(LinearLayout::Col)
        .init(&device);
    let m = m.nninit_init(&Config::new(3)).unwrap();
    assert_eq!(one, snapshot(&m));
}

#[test]
fn ids_are_kept_and_plan_names_are_pytorch_names() {
    let device = Device::default();
    let m = reference(&device);
    let ids = (m.fc1.weight.id, m.ln.gamma.id);
    let plan = m.nninit_plan(&Config::new(0)).unwrap();
    let names: Vec<&str> = plan.entries.iter().map(|e| e.name.as_str()).collect();
    let want: Vec<&str> = expected().iter().map(|e| e.0).collect();
    assert_eq!(names, want);
    assert_eq!(
        plan.entries[1].shape,
        [64, 32],
        "the plan is in PyTorch's layout"
    );
    let m = m.nninit_init(&Config::new(0)).unwrap();
    assert_eq!((m.fc1.weight.id, m.ln.gamma.id), ids);
}

#[derive(Module, Debug)]
struct Stack {
    layers: Vec<Linear>,
    norm: LayerNorm,
}

#[test]
fn rules_by_pytorch_name_and_vec_paths() {
    let device = Device::default();
    let m = Stack {
        layers: vec![
            LinearConfig::new(16, 16).init(&device),
            LinearConfig::new(16, 8).init(&device),
        ],
        norm: LayerNormConfig::new(8).init(&device),
    };
    let rules = Rules::new(&[
        ("norm.weight", "constant(val=0.5)"),
        ("layers.1.*", "zeros"),
    ])
    .unwrap();
    let m = m.nninit_init(&Config::new(1).with_rules(rules)).unwrap();
    let (_, g) = values(&m.norm.gamma);
    assert!(g.iter().all(|&b| b == 0.5f32.to_bits()));
    let (_, w1) = values(&m.layers[1].weight);
    assert!(w1.iter().all(|&b| b == 0));
    let (_, w0) = values(&m.layers[0].weight);
    let want = fill("layers.0.weight", &[16, 16], &Init::torch_default(), 1);
    // square: transposed, not the same order
    for o in 0..16 {
        for i in 0..16 {
            assert_eq!(w0[i * 16 + o], want[o * 16 + i].to_bits());
        }
    }
}

#[derive(Module, Debug)]
struct Custom {
    scale: Param<Tensor<1>>,
    fc: Linear,
}

#[test]
fn errors_name_the_parameter() {
    let device = Device::default();
    let custom = || Custom {
        scale: Param::from_tensor(Tensor::ones([4], &device)),
        fc: LinearConfig::new(4, 4).init(&device),
    };
    // a custom Param nothing covers
    let e = custom()
        .nninit_init(&Config::new(0))
        .unwrap_err()
        .to_string();
    assert!(e.contains("scale"), "{e}");
    // a rule covers it
    let rules = Rules::new(&[("scale", "ones")]).unwrap();
    assert!(custom()
        .nninit_init(&Config::new(0).with_rules(rules))
        .is_ok());
    // a rule that cannot fill its shape
    let rules = Rules::new(&[("scale", "ones"), ("fc.bias", "eye")]).unwrap();
    let e = custom()
        .nninit_init(&Config::new(0).with_rules(rules))
        .unwrap_err()
        .to_string();
    assert!(e.contains("fc.bias"), "{e}");
    // a rule matching nothing
    let rules = Rules::new(&[("scale", "ones"), ("nope.*", "zeros")]).unwrap();
    let e = custom()
        .nninit_init(&Config::new(0).with_rules(rules))
        .unwrap_err()
        .to_string();
    assert!(e.contains("nope.*"), "{e}");
    // a stack's scheme: roles from the names; ambiguous names are named
    let scheme = Scheme::parse("megatron").unwrap();
    let e = reference(&device)
        .nninit_init(&Config::new(0).with_scheme(scheme))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("conv.weight") && e.contains("head.weight"),
        "{e}"
    );
    // roles name them
    let roles =
        nninit_burn::RoleRules::new(&[("conv.weight", "mlp_up"), ("head.weight", "lm_head")])
            .unwrap();
    let scheme = Scheme::parse("megatron(sigma=0.02)").unwrap();
    let m = reference(&device)
        .nninit_init(&Config::new(0).with_scheme(scheme).with_roles(roles))
        .unwrap();
    let (_, b) = values(m.head.bias.as_ref().unwrap());
    assert!(b.iter().all(|&x| x == 0), "megatron's biases are zeros");
}

#[test]
fn trainable_after_init_and_require_grad_kept() {
    use burn::tensor::Int;
    let device = Device::default().autodiff();
    let mut m = reference(&device);
    // one frozen parameter stays frozen
    m.ln.beta = m.ln.beta.map(|p| p.set_require_grad(false));
    let m = m.nninit_init(&Config::new(5)).unwrap();
    let x = Tensor::<2, Int>::from_data([[1, 2, 3]], &device);
    let y = m
        .head
        .forward(m.ln.forward(m.fc1.forward(m.emb.forward(x))));
    let c = m.conv.forward(Tensor::<4>::ones([1, 4, 5, 5], &device));
    let loss = (y * 1.5).sum() + c.sum();
    let grads = loss.backward();
    let with_grad = |t: &Tensor<1>| t.grad(&grads).is_some();
    let with_grad2 = |t: &Tensor<2>| t.grad(&grads).is_some();
    assert!(with_grad2(&m.emb.weight.val()));
    assert!(with_grad2(&m.fc1.weight.val()));
    assert!(with_grad(&m.fc1.bias.as_ref().unwrap().val()));
    assert!(m.conv.weight.val().grad(&grads).is_some());
    assert!(with_grad(&m.conv.bias.as_ref().unwrap().val()));
    assert!(with_grad(&m.ln.gamma.val()));
    assert!(
        !with_grad(&m.ln.beta.as_ref().unwrap().val()),
        "the frozen beta has no gradient"
    );
    assert!(with_grad2(&m.head.weight.val()));
    assert!(with_grad(&m.head.bias.as_ref().unwrap().val()));
}

#[test]
fn a_whole_tensor_initializer_is_transposed_too() {
    // orthogonal is not generated by region: filled whole, then transposed
    let device = Device::default();
    let rules = Rules::new(&[("fc1.weight", "orthogonal")]).unwrap();
    let m = reference(&device)
        .nninit_init(&Config::new(2).with_rules(rules))
        .unwrap();
    let want = fill("fc1.weight", &[64, 32], &Init::orthogonal(1.0).unwrap(), 2);
    let (dims, got) = values(&m.fc1.weight);
    assert_eq!(dims, [32, 64]);
    for o in 0..64 {
        for i in 0..32 {
            assert_eq!(got[i * 64 + o], want[o * 32 + i].to_bits());
        }
    }
}
