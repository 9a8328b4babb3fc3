//! An MLP and a small CNN initialized by nninit as burn modules, the MLP
//! trained a few SGD steps on random data (the README's example; CI runs
//! it): `cargo run --release -p nninit-burn --example burn_mlp_cnn`.

use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::loss::CrossEntropyLossConfig;
use burn::nn::{Linear, LinearConfig, PaddingConfig2d, Relu};
use burn::optim::{GradientsParams, SgdConfig};
use burn::tensor::{Device, Distribution, Int, Tensor};
use nninit_burn::{Config, NninitInit, Rules};

#[derive(Module, Debug)]
struct Mlp {
    fc1: Linear,
    fc2: Linear,
    act: Relu,
}

impl Mlp {
    fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        self.fc2.forward(self.act.forward(self.fc1.forward(x)))
    }
}

#[derive(Module, Debug)]
struct Cnn {
    conv1: Conv2d,
    conv2: Conv2d,
    head: Linear,
    act: Relu,
}

impl Cnn {
    fn forward(&self, img: Tensor<4>) -> Tensor<2> {
        let h = self.act.forward(self.conv1.forward(img));
        let h = self.act.forward(self.conv2.forward(h));
        // global average pool: [n, c, h, w] -> [n, c]
        let [n, c, _, _] = h.dims();
        self.head.forward(h.mean_dim(3).mean_dim(2).reshape([n, c]))
    }
}

fn main() -> Result<(), nninit_burn::Error> {
    let device = Device::default().autodiff();

    // an MLP with PyTorch's default init, keyed by name and seed 42
    let mlp = Mlp {
        fc1: LinearConfig::new(64, 128).init(&device),
        fc2: LinearConfig::new(128, 10).init(&device),
        act: Relu::new(),
    };
    let mut mlp = mlp.nninit_init(&Config::new(42))?;
    let x = Tensor::<2>::random([32, 64], Distribution::Normal(0.0, 1.0), &device);
    let labels: Vec<i64> = (0..32).map(|i| i % 10).collect();
    let y = Tensor::<1, Int>::from_data(labels.as_slice(), &device);
    let loss_fn = CrossEntropyLossConfig::new().init(&device);
    let mut opt = SgdConfig::new().init();
    for step in 0..3 {
        let loss = loss_fn.forward(mlp.forward(x.clone()), y.clone());
        let value: f32 = loss.clone().into_scalar();
        let grads = GradientsParams::from_grads(loss.backward(), &mlp);
        mlp = opt.step(0.05, mlp, grads);
        println!("mlp step {step}: loss {value:.4}");
    }

    // a small CNN: He init for the convolutions by a rule, the rest torch's
    let rules = Rules::new(&[("conv*.weight", "kaiming_normal(nonlinearity=relu)")])?;
    let conv = |i, o| {
        Conv2dConfig::new([i, o], [3, 3])
            .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
            .init(&device)
    };
    let cnn = Cnn {
        conv1: conv(1, 8),
        conv2: conv(8, 16),
        head: LinearConfig::new(16, 10).init(&device),
        act: Relu::new(),
    };
    let plan = cnn.nninit_plan(&Config::new(42).with_rules(rules.clone()))?;
    println!("{}", plan.table());
    let cnn = cnn.nninit_init(&Config::new(42).with_rules(rules))?;
    let img = Tensor::<4>::random([4, 1, 8, 8], Distribution::Normal(0.0, 1.0), &device);
    println!(
        "cnn logits {:?}, {} parameters",
        cnn.forward(img).dims(),
        cnn.num_params()
    );
    Ok(())
}
