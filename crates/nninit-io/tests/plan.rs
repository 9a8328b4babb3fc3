//! The model plan: PyTorch's per-module defaults as a scheme, rules over it,
//! coverage errors that name everything at once, JSON.

use nninit::{DType, Error, Init};
use nninit_io::model::plan::{Module, Param, Plan, Scheme, Source};
use nninit_io::model::spec::Rules;

fn param(name: &str, local: &str, shape: &[usize], m: Module) -> Param {
    Param {
        name: name.into(),
        local: local.into(),
        shape: shape.to_vec(),
        dtype: DType::F32,
        module: m,
        recorded: None,
    }
}

fn module(class: &str, weight: Option<&[usize]>) -> Module {
    let mut m = Module::torch(class);
    m.weight_shape = weight.map(|w| w.to_vec());
    m
}

fn init_of(plan: &Plan, name: &str) -> String {
    plan.entries
        .iter()
        .find(|e| e.name == name)
        .unwrap()
        .init
        .to_string()
}

#[test]
fn torch_scheme_is_each_modules_reset_parameters() {
    let mut lstm = Module::torch("LSTM");
    lstm.hidden_size = Some(16);
    let mut emb = Module::torch("EmbeddingBag");
    emb.padding_idx = Some(3);
    let mut prelu = Module::torch("PReLU");
    prelu.prelu_init = Some(0.1);
    let params = vec![
        param(
            "conv.weight",
            "weight",
            &[8, 3, 3, 3],
            module("Conv2d", Some(&[8, 3, 3, 3])),
        ),
        param(
            "conv.bias",
            "bias",
            &[8],
            module("Conv2d", Some(&[8, 3, 3, 3])),
        ),
        param(
            "bil.weight",
            "weight",
            &[5, 4, 6],
            module("Bilinear", Some(&[5, 4, 6])),
        ),
        param(
            "bil.bias",
            "bias",
            &[5],
            module("Bilinear", Some(&[5, 4, 6])),
        ),
        param("rnn.weight_ih_l0", "weight_ih_l0", &[64, 10], lstm.clone()),
        param("rnn.bias_hh_l0", "bias_hh_l0", &[64], lstm),
        param("emb.weight", "weight", &[10, 4], emb),
        param("act.weight", "weight", &[1], prelu),
        param("ln.weight", "weight", &[4], module("LayerNorm", Some(&[4]))),
        param("ln.bias", "bias", &[4], module("LayerNorm", Some(&[4]))),
    ];
    let plan = Plan::build(&params, Scheme::Torch, None).unwrap();
    assert_eq!(init_of(&plan, "conv.weight"), "torch_default");
    assert_eq!(init_of(&plan, "conv.bias"), "torch_default_bias(fan_in=27)");
    // Bilinear: U(+-1/sqrt(in1)), in1 = weight.size(1) = 4
    assert_eq!(init_of(&plan, "bil.weight"), "uniform(a=-0.5, b=0.5)");
    assert_eq!(init_of(&plan, "bil.bias"), "uniform(a=-0.5, b=0.5)");
    // LSTM: U(+-1/sqrt(hidden_size)) for every weight and bias
    assert_eq!(
        init_of(&plan, "rnn.weight_ih_l0"),
        "uniform(a=-0.25, b=0.25)"
    );
    assert_eq!(init_of(&plan, "rnn.bias_hh_l0"), "uniform(a=-0.25, b=0.25)");
    assert_eq!(init_of(&plan, "emb.weight"), "normal(mean=0, std=1)");
    assert_eq!(plan.entries[6].zero_row, Some(3));
    assert_eq!(init_of(&plan, "act.weight"), "constant(val=0.1)");
    assert_eq!(init_of(&plan, "ln.weight"), "ones");
    assert_eq!(init_of(&plan, "ln.bias"), "zeros");
    assert!(plan
        .entries
        .iter()
        .all(|e| e.why.starts_with("torch default for ")));
    assert!(plan.table().lines().count() == params.len() + 1);
}

#[test]
fn rules_win_and_every_gap_is_named_at_once() {
    let params = vec![
        param(
            "a.weight",
            "weight",
            &[4, 4],
            module("Linear", Some(&[4, 4])),
        ),
        param("a.bias", "bias", &[4], module("Linear", Some(&[4, 4]))),
        param("norm.scale", "scale", &[4], Module::torch("MyNorm")),
        param("x.w", "w", &[4, 4], Module::torch("Mine")),
        param("x.v", "v", &[4], Module::torch("Mine")),
    ];
    // three uncovered parameters: all named in one error
    let e = Plan::build(&params, Scheme::Torch, None).unwrap_err();
    assert!(matches!(e, Error::Uncovered { .. }), "{e}");
    let msg = e.to_string();
    for n in ["`norm.scale` (MyNorm)", "`x.w` (Mine)", "`x.v` (Mine)"] {
        assert!(msg.contains(n), "{msg}");
    }
    assert!(msg.starts_with("3 parameter(s)"), "{msg}");
    // rules cover them; first match wins over the scheme
    let rules = Rules::new(&[
        ("norm.*", "ones"),
        ("x.*", "normal(std=0.02)"),
        ("a.weight", "xavier_uniform"),
    ])
    .unwrap();
    let plan = Plan::build(&params, Scheme::Torch, Some(&rules)).unwrap();
    assert_eq!(init_of(&plan, "a.weight"), "xavier_uniform(gain=1)");
    assert_eq!(
        plan.entries[0].source,
        Source::Rule {
            index: 2,
            glob: "a.weight".into()
        }
    );
    assert_eq!(init_of(&plan, "a.bias"), "torch_default_bias(fan_in=4)");
    assert!(matches!(plan.entries[1].source, Source::Scheme { .. }));
    // a rule that matches nothing is an error naming it
    let typo = Rules::new(&[("norm.*", "ones"), ("x.*", "zeros"), ("a.wieght", "zeros")]).unwrap();
    let e = Plan::build(&params, Scheme::Torch, Some(&typo)).unwrap_err();
    assert!(matches!(e, Error::BadRule { index: 2, .. }), "{e}");
    assert!(e.to_string().contains("a.wieght"), "{e}");
}

#[test]
fn a_plan_is_checked_and_serializes() {
    // a rule whose init cannot fill its parameter: named with the parameter
    let params = vec![param("b", "bias", &[4], module("Linear", Some(&[4, 4])))];
    let rules = Rules::new(&[("b", "orthogonal")]).unwrap();
    let e = Plan::build(&params, Scheme::Torch, Some(&rules)).unwrap_err();
    assert!(e.to_string().contains("parameter `b`"), "{e}");
    let plan = Plan::build(&params, Scheme::Torch, None).unwrap();
    let v: serde_json::Value = serde_json::from_str(&plan.to_json()).unwrap();
    assert_eq!(v["scheme"], "torch");
    assert_eq!(v["entries"][0]["init"], "torch_default_bias(fan_in=4)");
    assert_eq!(v["entries"][0]["dtype"], "f32");
    assert_eq!(v["entries"][0]["source"]["by"], "scheme");
    // Init round-trips through serde as its expression
    let i: Init = serde_json::from_value(v["entries"][0]["init"].clone()).unwrap();
    assert_eq!(i, Init::torch_default_bias(4).unwrap());
    assert!(serde_json::from_str::<Init>("\"normal(std=-1)\"").is_err());
    assert_eq!("zeros".parse::<Init>().unwrap(), Init::zeros());
    assert!(Scheme::parse("tourch")
        .unwrap_err()
        .to_string()
        .contains("did you mean `torch`"));
}

#[test]
fn flax_scheme_by_leaf_name_and_rank() {
    use nninit::{DType, Init, Layout};
    use nninit_io::model::plan::{Plan, Scheme};
    use nninit_io::TensorSpec;
    let t = |n: &str, s: &[usize]| {
        TensorSpec::new(n, s.to_vec(), DType::F32, Layout::Keras, Init::zeros())
    };
    let tensors = [
        t("params.Dense_0.kernel", &[64, 32]),
        t("params.Dense_0.bias", &[32]),
        t("params.Conv_0.kernel", &[3, 3, 4, 8]),
        t("params.Embed_0.embedding", &[100, 16]),
        t("params.LayerNorm_0.scale", &[32]),
    ];
    let scheme = Scheme::parse("flax").unwrap();
    assert_eq!(scheme.name(), "flax");
    let plan = Plan::for_tensors_by_scheme(
        &tensors,
        &|_| String::new(),
        scheme,
        None,
        &Default::default(),
    )
    .unwrap();
    let inits: Vec<String> = plan.entries.iter().map(|e| e.init.to_string()).collect();
    let lecun = Init::parse("lecun_normal").unwrap().to_string();
    assert_eq!(inits[0], lecun);
    assert_eq!(inits[1], Init::zeros().to_string());
    assert_eq!(inits[2], lecun);
    // Embed: N(0, 1/features)
    assert_eq!(inits[3], Init::normal(0.0, 0.25).unwrap().to_string());
    assert_eq!(inits[4], Init::ones().to_string());
    // a leaf Flax has no default for is named
    let odd = [t("params.Custom_0.w", &[4, 4])];
    let e =
        Plan::for_tensors_by_scheme(&odd, &|_| String::new(), scheme, None, &Default::default())
            .unwrap_err()
            .to_string();
    assert!(e.contains("params.Custom_0.w"), "{e}");
}
