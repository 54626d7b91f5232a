//! Starts the stand-in Kubernetes API server (test-support `kube_standin`) for the browser tests: its pods run with
//! PATH as given, its kubeconfig (namespace as given) is written to FILE, `ready` is printed, and it keeps serving
//! until stdin closes.

use std::io::Read;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [kubeconfig, namespace, path] = args.as_slice() else {
        anyhow::bail!("usage: kube-standin KUBECONFIG_OUT NAMESPACE POD_PATH");
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async {
        let standin = viban_test_support::kube_standin::KubeStandin::start(path).await?;
        std::fs::write(kubeconfig, standin.kubeconfig(namespace))?;
        println!("ready");
        let _ = tokio::task::spawn_blocking(|| std::io::stdin().read_to_end(&mut Vec::new())).await;
        drop(standin);
        Ok(())
    })
}
