import Numerics
import Testing

@Suite("Tensor")
struct TensorTests {
    @Test("Row-major strides, multi-index access and reshaping")
    func layout() {
        var tensor = Tensor(shape: [2, 3, 4])
        #expect(tensor.count == 24 && tensor.strides == [12, 4, 1])
        tensor[1, 2, 3] = 7
        #expect(tensor.storage[23] == 7)
        tensor[0, 1, 0] = 5
        #expect(tensor.storage[4] == 5)
        let flat = tensor.reshaped([6, 4])
        #expect(flat[5, 3] == 7 && flat.shape == [6, 4])
    }

    @Test("Construction from values checks the element count")
    func values() {
        let tensor = Tensor(shape: [2, 2], storage: [1, 2, 3, 4])
        #expect(tensor[1, 0] == 3)
        #expect(Tensor(shape: [0, 5]).count == 0)
        #expect(Tensor(shape: [], repeating: 2).storage == [2])
    }
}
